#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <w3s/err.h>

int
w3s_err_set(struct w3s_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
w3s_err_sys(struct w3s_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL)
		return W3S_ESYS;
	err->code = W3S_ESYS;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	/* Messages are lower case (DESIGN.md 8); strerror's are capitalised. */
	if (n + 2 < sizeof(err->msg) && err->msg[n + 2] >= 'A' &&
	    err->msg[n + 2] <= 'Z')
		err->msg[n + 2] = (char)(err->msg[n + 2] - 'A' + 'a');
	return W3S_ESYS;
}

int
w3s_err_wrap(struct w3s_err *err, const char *fmt, ...)
{
	char prefix[W3S_ERR_MSG_MAX];
	char old[W3S_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return W3S_ESYS;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code;
}

int
w3s_err_exit_status(int code)
{
	if (code >= 0)
		return 0;
	if (code < W3S_ESYS)
		return 7;
	return -code;
}
