# Common set-up for the BATS tests: load bats-support and bats-assert, put
# the programs under test first on PATH, and give each test a scratch dir.
bats_load_library bats-support
bats_load_library bats-assert

: "${W3SYNC_BIN:=$BATS_TEST_DIRNAME/../../bin}"
PATH="$W3SYNC_BIN:$PATH"
export PATH
unset W3SYNC_STORE W3SYNC_KEY
FIXTURES="$BATS_TEST_DIRNAME/../fixtures"
export FIXTURES

# A fresh Ed25519 private key file, mode 600, at $1.
make_key() {
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null
	chmod 600 "$1"
}

# Deterministic test data: `gen_file PATH SIZE` (bytes i mod 251).
gen_file() {
	python3 -c 'import sys; n=int(sys.argv[2]); open(sys.argv[1],"wb").write(bytes(i % 251 for i in range(n)))' "$1" "$2"
}
