/* Multibase: the prefix character names the base, the rest is the text.
 *
 * Three families of bases:
 * - bit groups (RFC 4648 style): base2, base8, base16, base32*, base64*;
 *   every character carries a fixed number of bits, the last group is
 *   filled with zero bits, the padded variants add '=' up to a whole block;
 * - radix conversion: base10, base36, base58*; the bytes are one big
 *   number, and each leading zero byte is one leading zero digit;
 * - base256emoji: one emoji (one Unicode code point) per byte.
 * Decoding is strict: every accepted text is the one the encoder writes
 * (up to letter case for the case-insensitive bases). */
#include <stdlib.h>
#include <string.h>

#include <w3s/multibase.h>

enum base_kind {
	KIND_BITS,
	KIND_RADIX,
	KIND_EMOJI,
};

struct base_desc {
	enum w3s_base base;
	const char *name;
	const char *alphabet;	/* NULL for base256emoji */
	enum base_kind kind;
	unsigned bits;		/* KIND_BITS: bits per character */
	unsigned block;		/* KIND_BITS: pad to this many characters */
	int fold;		/* decoding accepts either letter case */
};

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char b32u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char b32hex[] = "0123456789abcdefghijklmnopqrstuv";
static const char b32hexu[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const struct base_desc bases[] = {
	{ W3S_BASE2, "base2", "01", KIND_BITS, 1, 0, 0 },
	{ W3S_BASE8, "base8", "01234567", KIND_BITS, 3, 0, 0 },
	{ W3S_BASE10, "base10", "0123456789", KIND_RADIX, 0, 0, 0 },
	{ W3S_BASE16, "base16", "0123456789abcdef", KIND_BITS, 4, 0, 1 },
	{ W3S_BASE16UPPER, "base16upper", "0123456789ABCDEF", KIND_BITS, 4, 0,
	    1 },
	{ W3S_BASE32, "base32", b32, KIND_BITS, 5, 0, 1 },
	{ W3S_BASE32UPPER, "base32upper", b32u, KIND_BITS, 5, 0, 1 },
	{ W3S_BASE32HEX, "base32hex", b32hex, KIND_BITS, 5, 0, 1 },
	{ W3S_BASE32HEXUPPER, "base32hexupper", b32hexu, KIND_BITS, 5, 0, 1 },
	{ W3S_BASE32PAD, "base32pad", b32, KIND_BITS, 5, 8, 1 },
	{ W3S_BASE32PADUPPER, "base32padupper", b32u, KIND_BITS, 5, 8, 1 },
	{ W3S_BASE32HEXPAD, "base32hexpad", b32hex, KIND_BITS, 5, 8, 1 },
	{ W3S_BASE32HEXPADUPPER, "base32hexpadupper", b32hexu, KIND_BITS, 5,
	    8, 1 },
	/* z-base-32 is defined in lower case only. */
	{ W3S_BASE32Z, "base32z", "ybndrfg8ejkmcpqxot1uwisza345h769",
	    KIND_BITS, 5, 0, 0 },
	{ W3S_BASE36, "base36", "0123456789abcdefghijklmnopqrstuvwxyz",
	    KIND_RADIX, 0, 0, 1 },
	{ W3S_BASE36UPPER, "base36upper",
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", KIND_RADIX, 0, 0, 1 },
	{ W3S_BASE58FLICKR, "base58flickr",
	    "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ",
	    KIND_RADIX, 0, 0, 0 },
	{ W3S_BASE58BTC, "base58btc",
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
	    KIND_RADIX, 0, 0, 0 },
	{ W3S_BASE64, "base64", b64, KIND_BITS, 6, 0, 0 },
	{ W3S_BASE64PAD, "base64pad", b64, KIND_BITS, 6, 4, 0 },
	{ W3S_BASE64URL, "base64url", b64url, KIND_BITS, 6, 0, 0 },
	{ W3S_BASE64URLPAD, "base64urlpad", b64url, KIND_BITS, 6, 4, 0 },
	{ W3S_BASE256EMOJI, "base256emoji", NULL, KIND_EMOJI, 0, 0, 0 },
};

#define NBASES (sizeof(bases) / sizeof(bases[0]))

/* base256emoji: the multibase specification's table, byte -> code point
 * (U+1F680, the rocket, is both byte 0 and the prefix), then the same
 * pairs sorted by code point for decoding. */
struct emoji_entry {
	uint32_t cp;
	uint8_t byte;
};

static const uint32_t emoji_of_byte[256] = {
	0x1f680, 0x1fa90, 0x02604, 0x1f6f0, 0x1f30c, 0x1f311,
	0x1f312, 0x1f313, 0x1f314, 0x1f315, 0x1f316, 0x1f317,
	0x1f318, 0x1f30d, 0x1f30f, 0x1f30e, 0x1f409, 0x02600,
	0x1f4bb, 0x1f5a5, 0x1f4be, 0x1f4bf, 0x1f602, 0x02764,
	0x1f60d, 0x1f923, 0x1f60a, 0x1f64f, 0x1f495, 0x1f62d,
	0x1f618, 0x1f44d, 0x1f605, 0x1f44f, 0x1f601, 0x1f525,
	0x1f970, 0x1f494, 0x1f496, 0x1f499, 0x1f622, 0x1f914,
	0x1f606, 0x1f644, 0x1f4aa, 0x1f609, 0x0263a, 0x1f44c,
	0x1f917, 0x1f49c, 0x1f614, 0x1f60e, 0x1f607, 0x1f339,
	0x1f926, 0x1f389, 0x1f49e, 0x0270c, 0x02728, 0x1f937,
	0x1f631, 0x1f60c, 0x1f338, 0x1f64c, 0x1f60b, 0x1f497,
	0x1f49a, 0x1f60f, 0x1f49b, 0x1f642, 0x1f493, 0x1f929,
	0x1f604, 0x1f600, 0x1f5a4, 0x1f603, 0x1f4af, 0x1f648,
	0x1f447, 0x1f3b6, 0x1f612, 0x1f92d, 0x02763, 0x1f61c,
	0x1f48b, 0x1f440, 0x1f62a, 0x1f611, 0x1f4a5, 0x1f64b,
	0x1f61e, 0x1f629, 0x1f621, 0x1f92a, 0x1f44a, 0x1f973,
	0x1f625, 0x1f924, 0x1f449, 0x1f483, 0x1f633, 0x0270b,
	0x1f61a, 0x1f61d, 0x1f634, 0x1f31f, 0x1f62c, 0x1f643,
	0x1f340, 0x1f337, 0x1f63b, 0x1f613, 0x02b50, 0x02705,
	0x1f97a, 0x1f308, 0x1f608, 0x1f918, 0x1f4a6, 0x02714,
	0x1f623, 0x1f3c3, 0x1f490, 0x02639, 0x1f38a, 0x1f498,
	0x1f620, 0x0261d, 0x1f615, 0x1f33a, 0x1f382, 0x1f33b,
	0x1f610, 0x1f595, 0x1f49d, 0x1f64a, 0x1f639, 0x1f5e3,
	0x1f4ab, 0x1f480, 0x1f451, 0x1f3b5, 0x1f91e, 0x1f61b,
	0x1f534, 0x1f624, 0x1f33c, 0x1f62b, 0x026bd, 0x1f919,
	0x02615, 0x1f3c6, 0x1f92b, 0x1f448, 0x1f62e, 0x1f646,
	0x1f37b, 0x1f343, 0x1f436, 0x1f481, 0x1f632, 0x1f33f,
	0x1f9e1, 0x1f381, 0x026a1, 0x1f31e, 0x1f388, 0x0274c,
	0x0270a, 0x1f44b, 0x1f630, 0x1f928, 0x1f636, 0x1f91d,
	0x1f6b6, 0x1f4b0, 0x1f353, 0x1f4a2, 0x1f91f, 0x1f641,
	0x1f6a8, 0x1f4a8, 0x1f92c, 0x02708, 0x1f380, 0x1f37a,
	0x1f913, 0x1f619, 0x1f49f, 0x1f331, 0x1f616, 0x1f476,
	0x1f974, 0x025b6, 0x027a1, 0x02753, 0x1f48e, 0x1f4b8,
	0x02b07, 0x1f628, 0x1f31a, 0x1f98b, 0x1f637, 0x1f57a,
	0x026a0, 0x1f645, 0x1f61f, 0x1f635, 0x1f44e, 0x1f932,
	0x1f920, 0x1f927, 0x1f4cc, 0x1f535, 0x1f485, 0x1f9d0,
	0x1f43e, 0x1f352, 0x1f617, 0x1f911, 0x1f30a, 0x1f92f,
	0x1f437, 0x0260e, 0x1f4a7, 0x1f62f, 0x1f486, 0x1f446,
	0x1f3a4, 0x1f647, 0x1f351, 0x02744, 0x1f334, 0x1f4a3,
	0x1f438, 0x1f48c, 0x1f4cd, 0x1f940, 0x1f922, 0x1f445,
	0x1f4a1, 0x1f4a9, 0x1f450, 0x1f4f8, 0x1f47b, 0x1f910,
	0x1f92e, 0x1f3bc, 0x1f975, 0x1f6a9, 0x1f34e, 0x1f34a,
	0x1f47c, 0x1f48d, 0x1f4e3, 0x1f942,
};

static const struct emoji_entry emoji_sorted[256] = {
	{ 0x025b6, 193 }, { 0x02600,  17 }, { 0x02604,   2 }, { 0x0260e, 223 },
	{ 0x02615, 150 }, { 0x0261d, 127 }, { 0x02639, 123 }, { 0x0263a,  46 },
	{ 0x026a0, 204 }, { 0x026a1, 164 }, { 0x026bd, 148 }, { 0x02705, 113 },
	{ 0x02708, 183 }, { 0x0270a, 168 }, { 0x0270b, 101 }, { 0x0270c,  57 },
	{ 0x02714, 119 }, { 0x02728,  58 }, { 0x02744, 231 }, { 0x0274c, 167 },
	{ 0x02753, 195 }, { 0x02763,  82 }, { 0x02764,  23 }, { 0x027a1, 194 },
	{ 0x02b07, 198 }, { 0x02b50, 112 }, { 0x1f308, 115 }, { 0x1f30a, 220 },
	{ 0x1f30c,   4 }, { 0x1f30d,  13 }, { 0x1f30e,  15 }, { 0x1f30f,  14 },
	{ 0x1f311,   5 }, { 0x1f312,   6 }, { 0x1f313,   7 }, { 0x1f314,   8 },
	{ 0x1f315,   9 }, { 0x1f316,  10 }, { 0x1f317,  11 }, { 0x1f318,  12 },
	{ 0x1f31a, 200 }, { 0x1f31e, 165 }, { 0x1f31f, 105 }, { 0x1f331, 189 },
	{ 0x1f334, 232 }, { 0x1f337, 109 }, { 0x1f338,  62 }, { 0x1f339,  53 },
	{ 0x1f33a, 129 }, { 0x1f33b, 131 }, { 0x1f33c, 146 }, { 0x1f33f, 161 },
	{ 0x1f340, 108 }, { 0x1f343, 157 }, { 0x1f34a, 251 }, { 0x1f34e, 250 },
	{ 0x1f351, 230 }, { 0x1f352, 217 }, { 0x1f353, 176 }, { 0x1f37a, 185 },
	{ 0x1f37b, 156 }, { 0x1f380, 184 }, { 0x1f381, 163 }, { 0x1f382, 130 },
	{ 0x1f388, 166 }, { 0x1f389,  55 }, { 0x1f38a, 124 }, { 0x1f3a4, 228 },
	{ 0x1f3b5, 141 }, { 0x1f3b6,  79 }, { 0x1f3bc, 247 }, { 0x1f3c3, 121 },
	{ 0x1f3c6, 151 }, { 0x1f409,  16 }, { 0x1f436, 158 }, { 0x1f437, 222 },
	{ 0x1f438, 234 }, { 0x1f43e, 216 }, { 0x1f440,  85 }, { 0x1f445, 239 },
	{ 0x1f446, 227 }, { 0x1f447,  78 }, { 0x1f448, 153 }, { 0x1f449,  98 },
	{ 0x1f44a,  94 }, { 0x1f44b, 169 }, { 0x1f44c,  47 }, { 0x1f44d,  31 },
	{ 0x1f44e, 208 }, { 0x1f44f,  33 }, { 0x1f450, 242 }, { 0x1f451, 140 },
	{ 0x1f476, 191 }, { 0x1f47b, 244 }, { 0x1f47c, 252 }, { 0x1f480, 139 },
	{ 0x1f481, 159 }, { 0x1f483,  99 }, { 0x1f485, 214 }, { 0x1f486, 226 },
	{ 0x1f48b,  84 }, { 0x1f48c, 235 }, { 0x1f48d, 253 }, { 0x1f48e, 196 },
	{ 0x1f490, 122 }, { 0x1f493,  70 }, { 0x1f494,  37 }, { 0x1f495,  28 },
	{ 0x1f496,  38 }, { 0x1f497,  65 }, { 0x1f498, 125 }, { 0x1f499,  39 },
	{ 0x1f49a,  66 }, { 0x1f49b,  68 }, { 0x1f49c,  49 }, { 0x1f49d, 134 },
	{ 0x1f49e,  56 }, { 0x1f49f, 188 }, { 0x1f4a1, 240 }, { 0x1f4a2, 177 },
	{ 0x1f4a3, 233 }, { 0x1f4a5,  88 }, { 0x1f4a6, 118 }, { 0x1f4a7, 224 },
	{ 0x1f4a8, 181 }, { 0x1f4a9, 241 }, { 0x1f4aa,  44 }, { 0x1f4ab, 138 },
	{ 0x1f4af,  76 }, { 0x1f4b0, 175 }, { 0x1f4b8, 197 }, { 0x1f4bb,  18 },
	{ 0x1f4be,  20 }, { 0x1f4bf,  21 }, { 0x1f4cc, 212 }, { 0x1f4cd, 236 },
	{ 0x1f4e3, 254 }, { 0x1f4f8, 243 }, { 0x1f525,  35 }, { 0x1f534, 144 },
	{ 0x1f535, 213 }, { 0x1f57a, 203 }, { 0x1f595, 133 }, { 0x1f5a4,  74 },
	{ 0x1f5a5,  19 }, { 0x1f5e3, 137 }, { 0x1f600,  73 }, { 0x1f601,  34 },
	{ 0x1f602,  22 }, { 0x1f603,  75 }, { 0x1f604,  72 }, { 0x1f605,  32 },
	{ 0x1f606,  42 }, { 0x1f607,  52 }, { 0x1f608, 116 }, { 0x1f609,  45 },
	{ 0x1f60a,  26 }, { 0x1f60b,  64 }, { 0x1f60c,  61 }, { 0x1f60d,  24 },
	{ 0x1f60e,  51 }, { 0x1f60f,  67 }, { 0x1f610, 132 }, { 0x1f611,  87 },
	{ 0x1f612,  80 }, { 0x1f613, 111 }, { 0x1f614,  50 }, { 0x1f615, 128 },
	{ 0x1f616, 190 }, { 0x1f617, 218 }, { 0x1f618,  30 }, { 0x1f619, 187 },
	{ 0x1f61a, 102 }, { 0x1f61b, 143 }, { 0x1f61c,  83 }, { 0x1f61d, 103 },
	{ 0x1f61e,  90 }, { 0x1f61f, 206 }, { 0x1f620, 126 }, { 0x1f621,  92 },
	{ 0x1f622,  40 }, { 0x1f623, 120 }, { 0x1f624, 145 }, { 0x1f625,  96 },
	{ 0x1f628, 199 }, { 0x1f629,  91 }, { 0x1f62a,  86 }, { 0x1f62b, 147 },
	{ 0x1f62c, 106 }, { 0x1f62d,  29 }, { 0x1f62e, 154 }, { 0x1f62f, 225 },
	{ 0x1f630, 170 }, { 0x1f631,  60 }, { 0x1f632, 160 }, { 0x1f633, 100 },
	{ 0x1f634, 104 }, { 0x1f635, 207 }, { 0x1f636, 172 }, { 0x1f637, 202 },
	{ 0x1f639, 136 }, { 0x1f63b, 110 }, { 0x1f641, 179 }, { 0x1f642,  69 },
	{ 0x1f643, 107 }, { 0x1f644,  43 }, { 0x1f645, 205 }, { 0x1f646, 155 },
	{ 0x1f647, 229 }, { 0x1f648,  77 }, { 0x1f64a, 135 }, { 0x1f64b,  89 },
	{ 0x1f64c,  63 }, { 0x1f64f,  27 }, { 0x1f680,   0 }, { 0x1f6a8, 180 },
	{ 0x1f6a9, 249 }, { 0x1f6b6, 174 }, { 0x1f6f0,   3 }, { 0x1f910, 245 },
	{ 0x1f911, 219 }, { 0x1f913, 186 }, { 0x1f914,  41 }, { 0x1f917,  48 },
	{ 0x1f918, 117 }, { 0x1f919, 149 }, { 0x1f91d, 173 }, { 0x1f91e, 142 },
	{ 0x1f91f, 178 }, { 0x1f920, 210 }, { 0x1f922, 238 }, { 0x1f923,  25 },
	{ 0x1f924,  97 }, { 0x1f926,  54 }, { 0x1f927, 211 }, { 0x1f928, 171 },
	{ 0x1f929,  71 }, { 0x1f92a,  93 }, { 0x1f92b, 152 }, { 0x1f92c, 182 },
	{ 0x1f92d,  81 }, { 0x1f92e, 246 }, { 0x1f92f, 221 }, { 0x1f932, 209 },
	{ 0x1f937,  59 }, { 0x1f940, 237 }, { 0x1f942, 255 }, { 0x1f970,  36 },
	{ 0x1f973,  95 }, { 0x1f974, 192 }, { 0x1f975, 248 }, { 0x1f97a, 114 },
	{ 0x1f98b, 201 }, { 0x1f9d0, 215 }, { 0x1f9e1, 162 }, { 0x1fa90,   1 },
};

/* The prefix of base256emoji, U+1F680 in UTF-8. */
static const char emoji_prefix[] = "\xf0\x9f\x9a\x80";

static const struct base_desc *
desc_of(enum w3s_base base)
{
	for (size_t i = 0; i < NBASES; i++)
		if (bases[i].base == base)
			return &bases[i];
	return NULL;
}

int
w3s_base_from_name(const char *name, enum w3s_base *base,
    struct w3s_err *err)
{
	for (size_t i = 0; i < NBASES; i++)
		if (strcmp(bases[i].name, name) == 0) {
			*base = bases[i].base;
			return 0;
		}
	return w3s_err_set(err, W3S_EUSAGE, "unknown multibase '%.80s'", name);
}

const char *
w3s_base_name(enum w3s_base base)
{
	const struct base_desc *d = desc_of(base);

	return d != NULL ? d->name : NULL;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Fills rev[c] with the digit value of character c, or -1. */
static void
reverse_alphabet(const struct base_desc *d, signed char rev[256])
{
	memset(rev, -1, 256);
	for (int i = 0; d->alphabet[i] != '\0'; i++) {
		char c = d->alphabet[i];

		rev[(unsigned char)c] = (signed char)i;
		if (d->fold) {
			rev[(unsigned char)ascii_lower(c)] = (signed char)i;
			rev[(unsigned char)ascii_upper(c)] = (signed char)i;
		}
	}
}

static int
bad_char(struct w3s_err *err, const struct base_desc *d, const char *text,
    size_t off)
{
	unsigned char c = (unsigned char)text[off];

	if (c >= 0x20 && c < 0x7f)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: invalid character '%c' at offset %zu", d->name, c,
		    off);
	return w3s_err_set(err, W3S_EMALFORMED,
	    "%s: invalid byte 0x%02x at offset %zu", d->name, c, off);
}

/* --- bit groups --- */

static size_t
bits_encoded_len(const struct base_desc *d, size_t len)
{
	size_t n = (len * 8 + d->bits - 1) / d->bits;

	if (d->block != 0)
		n = (n + d->block - 1) / d->block * d->block;
	return n;
}

static size_t
bits_encode(const struct base_desc *d, const uint8_t *data, size_t len,
    char *out)
{
	unsigned k = d->bits, mask = (1u << k) - 1, nbits = 0;
	uint32_t acc = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | data[i];
		nbits += 8;
		while (nbits >= k) {
			nbits -= k;
			out[o++] = d->alphabet[(acc >> nbits) & mask];
		}
		acc &= (1u << nbits) - 1;
	}
	if (nbits > 0)
		out[o++] = d->alphabet[(acc << (k - nbits)) & mask];
	if (d->block != 0)
		while (o % d->block != 0)
			out[o++] = '=';
	return o;
}

/* text[start..start+n) holds the characters after the prefix. */
static int
bits_decode(const struct base_desc *d, const char *text, size_t start,
    size_t n, uint8_t *out, size_t *out_len, struct w3s_err *err)
{
	unsigned k = d->bits, nbits = 0;
	signed char rev[256];
	size_t m = n, pad = 0, o = 0;
	uint32_t acc = 0;

	if (d->block != 0) {
		if (n % d->block != 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "%s: length %zu is not a multiple of %u", d->name,
			    n, d->block);
		while (m > 0 && text[start + m - 1] == '=')
			m--;
		pad = n - m;
		if (pad != (d->block - m % d->block) % d->block)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "%s: wrong padding", d->name);
	}
	if (m > SIZE_MAX / 8)
		return w3s_err_set(err, W3S_EMALFORMED, "%s: text too long",
		    d->name);
	/* m characters carry m*k bits: the whole bytes, then fewer than k
	 * zero bits; anything else is not what an encoder writes. */
	if ((m * k / 8 * 8 + k - 1) / k != m)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: text length %zu does not make whole bytes", d->name,
		    m);
	reverse_alphabet(d, rev);
	for (size_t i = 0; i < m; i++) {
		int v = rev[(unsigned char)text[start + i]];

		if (v < 0)
			return bad_char(err, d, text, start + i);
		acc = acc << k | (uint32_t)v;
		nbits += k;
		if (nbits >= 8) {
			nbits -= 8;
			out[o++] = (uint8_t)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
	}
	if (acc != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: non-zero bits after the last byte", d->name);
	*out_len = o;
	return 0;
}

/* --- radix conversion --- */

/* The largest power of radix that fits in 32 bits, and its exponent. */
static uint32_t
radix_group(unsigned radix, unsigned *digits)
{
	uint64_t r = 1;

	*digits = 0;
	while (r * radix <= UINT32_MAX) {
		r *= radix;
		(*digits)++;
	}
	return (uint32_t)r;
}

static int
radix_encode(const struct base_desc *d, const uint8_t *data, size_t len,
    char *out, size_t *out_n, struct w3s_err *err)
{
	unsigned radix = (unsigned)strlen(d->alphabet), k;
	uint32_t group = radix_group(radix, &k), *limb;
	size_t zeros = 0, used = 0, o = 0;

	while (zeros < len && data[zeros] == 0)
		zeros++;
	/* The number in base radix^k, least significant limb first; each
	 * limb holds more than 8 bits, so len limbs are plenty. */
	limb = malloc((len - zeros + 1) * sizeof(*limb));
	if (limb == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	/* Up to three bytes per pass: a limb shifted by 24 bits still fits
	 * in 64, and the carry stays below 2^shift. */
	for (size_t i = zeros; i < len;) {
		unsigned shift = 0;
		uint64_t carry = 0;

		for (; shift < 24 && i < len; shift += 8)
			carry = carry << 8 | data[i++];
		for (size_t j = 0; j < used; j++) {
			uint64_t v = (uint64_t)limb[j] << shift | carry;

			limb[j] = (uint32_t)(v % group);
			carry = v / group;
		}
		while (carry != 0) {
			limb[used++] = (uint32_t)(carry % group);
			carry /= group;
		}
	}
	for (size_t i = 0; i < zeros; i++)
		out[o++] = d->alphabet[0];
	if (used > 0) {
		char top[32];
		size_t t = 0;

		/* The top limb without leading zero digits, then every other
		 * limb as exactly k digits. */
		for (uint32_t x = limb[used - 1]; x != 0; x /= radix)
			top[t++] = d->alphabet[x % radix];
		while (t > 0)
			out[o++] = top[--t];
		for (size_t j = used - 1; j-- > 0;) {
			uint32_t x = limb[j];

			for (unsigned i = k; i-- > 0;) {
				out[o + i] = d->alphabet[x % radix];
				x /= radix;
			}
			o += k;
		}
	}
	free(limb);
	*out_n = o;
	return 0;
}

static int
radix_decode(const struct base_desc *d, const char *text, size_t start,
    size_t n, uint8_t **out, size_t *out_len, struct w3s_err *err)
{
	unsigned radix = (unsigned)strlen(d->alphabet), k;
	signed char rev[256];
	size_t zeros = 0, used = 0, cap, o = 0;
	uint32_t *limb;
	uint8_t *bytes;

	radix_group(radix, &k);
	reverse_alphabet(d, rev);
	while (zeros < n && rev[(unsigned char)text[start + zeros]] == 0)
		zeros++;
	/* The number in base 2^32, least significant limb first. A digit
	 * carries under 6 bits (radix <= 64), so n digits need at most
	 * n*6/32 + 1 limbs. */
	cap = (n - zeros) / 4 + 2;
	limb = malloc(cap * sizeof(*limb));
	if (limb == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	/* Up to k digits per pass: limb * radix^k + carry fits in 64 bits
	 * since radix^k < 2^32. */
	for (size_t i = start + zeros; i < start + n;) {
		uint64_t carry = 0, mul = 1;

		for (unsigned g = 0; g < k && i < start + n; g++, i++) {
			int v = rev[(unsigned char)text[i]];

			if (v < 0) {
				free(limb);
				return bad_char(err, d, text, i);
			}
			carry = carry * radix + (uint64_t)v;
			mul *= radix;
		}
		for (size_t j = 0; j < used; j++) {
			uint64_t x = (uint64_t)limb[j] * mul + carry;

			limb[j] = (uint32_t)x;
			carry = x >> 32;
		}
		if (carry != 0)
			limb[used++] = (uint32_t)carry;
	}
	bytes = malloc(zeros + 4 * used + 1);
	if (bytes == NULL) {
		free(limb);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	memset(bytes, 0, zeros);
	o = zeros;
	for (size_t j = used; j-- > 0;)
		for (int s = 24; s >= 0; s -= 8) {
			uint8_t b = (uint8_t)(limb[j] >> s);

			/* No leading zero bytes in the top limb. */
			if (j == used - 1 && o == zeros && b == 0)
				continue;
			bytes[o++] = b;
		}
	free(limb);
	*out = bytes;
	*out_len = o;
	return 0;
}

/* --- base256emoji --- */

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads one well-formed UTF-8 sequence at s[*i] (s has n bytes): no
 * overlong forms, surrogates or values past U+10FFFF. Returns 0 or -1. */
static int
utf8_get(const char *s, size_t n, size_t *i, uint32_t *cp)
{
	static const uint32_t min_of_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t left = n - *i, len;
	uint32_t v;

	if (p[0] < 0x80) {
		len = 1;
		v = p[0];
	} else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return -1;
	}
	if (len > left)
		return -1;
	for (size_t j = 1; j < len; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (p[j] & 0x3f);
	}
	if (v < min_of_len[len] || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*i += len;
	*cp = v;
	return 0;
}

static int
emoji_byte(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(emoji_sorted) / sizeof(emoji_sorted[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (emoji_sorted[mid].cp == cp)
			return emoji_sorted[mid].byte;
		if (emoji_sorted[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static size_t
emoji_encode(const uint8_t *data, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++)
		o += utf8_put(out + o, emoji_of_byte[data[i]]);
	return o;
}

static int
emoji_decode(const struct base_desc *d, const char *text, size_t start,
    size_t n, uint8_t *out, size_t *out_len, struct w3s_err *err)
{
	size_t i = start, o = 0;

	while (i < start + n) {
		size_t at = i;
		uint32_t cp;
		int b;

		if (utf8_get(text, start + n, &i, &cp) != 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "%s: invalid UTF-8 at offset %zu", d->name, at);
		if ((b = emoji_byte(cp)) < 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "%s: U+%04X at offset %zu is not in the alphabet",
			    d->name, (unsigned)cp, at);
		out[o++] = (uint8_t)b;
	}
	*out_len = o;
	return 0;
}

/* --- entry points --- */

int
w3s_multibase_encode(enum w3s_base base, const uint8_t *data, size_t len,
    char **out, struct w3s_err *err)
{
	const struct base_desc *d = desc_of(base);
	size_t cap, body = 0, prefix;
	char *s;
	int rc;

	if (d == NULL)
		return w3s_err_set(err, W3S_EUSAGE, "unknown multibase 0x%x",
		    (unsigned)base);
	if (len > (SIZE_MAX - 16) / 8)
		return w3s_err_set(err, W3S_EUSAGE,
		    "%s: input of %zu bytes is too long", d->name, len);
	prefix = d->kind == KIND_EMOJI ? strlen(emoji_prefix) : 1;
	switch (d->kind) {
	case KIND_BITS:
		cap = bits_encoded_len(d, len);
		break;
	case KIND_RADIX:
		/* Each digit carries more than 3 bits (radix >= 10). */
		cap = len * 8 / 3 + 2;
		break;
	default:
		cap = 4 * len;	/* every emoji is 3 or 4 UTF-8 bytes */
		break;
	}
	s = malloc(prefix + cap + 1);
	if (s == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	if (d->kind == KIND_EMOJI)
		memcpy(s, emoji_prefix, prefix);
	else
		s[0] = (char)d->base;
	switch (d->kind) {
	case KIND_BITS:
		body = bits_encode(d, data, len, s + prefix);
		break;
	case KIND_RADIX:
		if ((rc = radix_encode(d, data, len, s + prefix, &body,
		    err)) != 0) {
			free(s);
			return rc;
		}
		break;
	default:
		body = emoji_encode(data, len, s + prefix);
		break;
	}
	s[prefix + body] = '\0';
	*out = s;
	return 0;
}

int
w3s_multibase_decode(const char *text, uint8_t **out, size_t *out_len,
    enum w3s_base *base_out, struct w3s_err *err)
{
	const struct base_desc *d = NULL;
	size_t n = strlen(text), start = 0, len = 0;
	uint8_t *bytes;
	uint32_t cp;
	int rc;

	if (n == 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "multibase: empty text");
	if (utf8_get(text, n, &start, &cp) != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "multibase: prefix is not valid UTF-8");
	d = desc_of((enum w3s_base)cp);
	if (d == NULL) {
		if (cp >= 0x20 && cp < 0x7f)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "multibase: unknown prefix '%c'", (char)cp);
		return w3s_err_set(err, W3S_EMALFORMED,
		    "multibase: unknown prefix U+%04X", (unsigned)cp);
	}
	n -= start;
	if (d->kind == KIND_RADIX) {
		rc = radix_decode(d, text, start, n, out, out_len, err);
		if (rc == 0 && base_out != NULL)
			*base_out = d->base;
		return rc;
	}
	/* Bit groups and emoji give fewer bytes than characters. */
	bytes = malloc(n + 1);
	if (bytes == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	if (d->kind == KIND_BITS)
		rc = bits_decode(d, text, start, n, bytes, &len, err);
	else
		rc = emoji_decode(d, text, start, n, bytes, &len, err);
	if (rc != 0) {
		free(bytes);
		return rc;
	}
	*out = bytes;
	*out_len = len;
	if (base_out != NULL)
		*base_out = d->base;
	return 0;
}
