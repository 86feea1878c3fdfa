#ifndef DISCREET_CCRYPTO_SHIM_H
#define DISCREET_CCRYPTO_SHIM_H
// OpenSSL 3 marks the SHA256_* calls deprecated in favour of EVP, whose contexts live on the
// heap: the plain context, a value, copies for free (HMAC keys hashed once, then copied per
// message), and its block function uses the CPU's SHA extensions where they exist.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#endif
