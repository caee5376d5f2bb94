/* cid-verify --stream: snapshot and delta archives checked the way
 * snapshot-import checks them, with no store (w3s_import_verify_input). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <w3s/hex.h>
#include <w3s/import.h>
#include <w3s/stream.h>

#include "../cli/cli.h"
#include "modes.h"

struct stream_out {
	const struct store_opts *o;
	const char *name;
	uint64_t n;
};

/* Each archive's result, when it ends. */
static int
on_archive(void *ctx, const struct w3s_import_result *res, int code,
    const struct w3s_err *why)
{
	struct stream_out *so = ctx;
	char root[W3S_HEX32_LEN];
	const char *kind = res->kind == W3S_STREAM_DELTA ? "delta" : "full";

	so->n++;
	w3s_hex32_format(root, res->target.mmr_root);
	if (so->o->json) {
		fputs("{\"file\":", stdout);
		w3s_cli_json_string(stdout, so->name);
		printf(",\"archive\":%llu,\"bucket\":%llu,\"kind\":\"%s\","
		    "\"mmr_root\":\"%s\",\"start_seq\":%llu,\"leaf_count\":%llu,"
		    "\"segments\":%llu,\"chunks\":%llu,\"bytes\":%llu,"
		    "\"anchored\":%s,\"valid\":%s}\n",
		    (unsigned long long)so->n, (unsigned long long)res->bucket,
		    kind, root, (unsigned long long)res->target.start_seq,
		    (unsigned long long)res->target.leaf_count,
		    (unsigned long long)res->segments,
		    (unsigned long long)res->chunks,
		    (unsigned long long)res->chunk_bytes,
		    res->anchored ? "true" : "false",
		    code == 0 ? "true" : "false");
	} else {
		printf("archive %llu\nbucket %llu\nkind %s\nmmr_root %s\n"
		    "start_seq %llu\nleaf_count %llu\nsegments %llu\n"
		    "chunks %llu\nbytes %llu\nanchored %s\nstatus %s\n",
		    (unsigned long long)so->n, (unsigned long long)res->bucket,
		    kind, root, (unsigned long long)res->target.start_seq,
		    (unsigned long long)res->target.leaf_count,
		    (unsigned long long)res->segments,
		    (unsigned long long)res->chunks,
		    (unsigned long long)res->chunk_bytes,
		    res->anchored ? "yes" : "no", code == 0 ? "ok" : "failed");
	}
	if (code == 0 && !res->anchored && !so->o->json)
		w3s_cli_warnf("%s: archive %llu is unanchored: give "
		    "--trust-root", so->name, (unsigned long long)so->n);
	(void)why;
	return 0;
}

int
run_stream(const struct store_opts *o, char **files, int nfiles)
{
	struct w3s_import_trust t;
	int status = 0;

	memset(&t, 0, sizeof(t));
	if (o->trust_root != NULL) {
		t.has_root = 1;
		memcpy(t.root, o->trust_root, W3S_H256);
	}
	for (int i = 0; i < nfiles; i++) {
		struct w3s_import_hooks hooks = { NULL, NULL, on_archive };
		struct stream_out so = { o, files[i], 0 };
		struct w3s_err err = { 0 };
		struct w3s_stream_reader *r;
		int fd, rc;

		hooks.ctx = &so;
		if (strcmp(files[i], "-") == 0) {
			fd = STDIN_FILENO;
		} else if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) < 0) {
			w3s_cli_errorf("%s: cannot open: %s", files[i],
			    w3s_cli_reason(errno));
			status = status ? status : 7;
			continue;
		}
		if ((r = w3s_stream_reader_new(fd, &err)) == NULL)
			rc = err.code ? err.code : W3S_ESYS;
		else
			rc = w3s_import_verify_input(r, &t, &hooks, NULL, &err);
		w3s_stream_reader_free(r);
		if (fd != STDIN_FILENO)
			close(fd);
		if (rc != 0) {
			w3s_cli_errorf("%s: %s", files[i], err.msg);
			rc = w3s_err_exit_status(rc);
			status = status == 0 || (status == 3 && rc != 3) ? rc :
			    status;
		}
	}
	return status;
}
