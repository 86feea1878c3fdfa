#ifndef DISCREET_CGMP_SHIM_H
#define DISCREET_CGMP_SHIM_H
// GNU MP: exact rational arithmetic for the audit and the samplers.
// GMP's public names are macros, which Swift cannot import: these wrappers expose the
// few operations discreet uses.
#include <gmp.h>
#include <string.h>

static inline void dq_init(mpq_ptr q) { mpq_init(q); }
static inline void dq_clear(mpq_ptr q) { mpq_clear(q); }
/// q = n / d, reduced; d > 0.
static inline void dq_set_si(mpq_ptr q, long n, unsigned long d) { mpq_set_si(q, n, d); mpq_canonicalize(q); }
static inline void dq_add(mpq_ptr r, mpq_srcptr a, mpq_srcptr b) { mpq_add(r, a, b); }
static inline void dq_sub(mpq_ptr r, mpq_srcptr a, mpq_srcptr b) { mpq_sub(r, a, b); }
static inline void dq_mul(mpq_ptr r, mpq_srcptr a, mpq_srcptr b) { mpq_mul(r, a, b); }
static inline void dq_div(mpq_ptr r, mpq_srcptr a, mpq_srcptr b) { mpq_div(r, a, b); }
static inline void dq_neg(mpq_ptr r, mpq_srcptr a) { mpq_neg(r, a); }
static inline int dq_cmp(mpq_srcptr a, mpq_srcptr b) { return mpq_cmp(a, b); }
static inline int dq_sgn(mpq_srcptr a) { return mpq_sgn(a); }
/// The nearest double (truncated), for display only.
static inline double dq_get_d(mpq_srcptr a) { return mpq_get_d(a); }
static inline int dq_is_integer(mpq_srcptr a) { return mpz_cmp_ui(mpq_denref(a), 1) == 0; }
/// Whether numerator and denominator both fit in a long.
static inline int dq_fits_long(mpq_srcptr a) {
    return mpz_fits_slong_p(mpq_numref(a)) && mpz_fits_slong_p(mpq_denref(a));
}
static inline long dq_num_long(mpq_srcptr a) { return mpz_get_si(mpq_numref(a)); }
static inline long dq_den_long(mpq_srcptr a) { return mpz_get_si(mpq_denref(a)); }
/// floor(a) into *out when it fits in a long; returns whether it did.
static inline int dq_floor_long(mpq_srcptr a, long *out) {
    mpz_t q;
    mpz_init(q);
    mpz_fdiv_q(q, mpq_numref(a), mpq_denref(a));
    int ok = mpz_fits_slong_p(q);
    if (ok) *out = mpz_get_si(q);
    mpz_clear(q);
    return ok;
}
/// The decimal text of a, written into a buffer the caller frees with dq_free_str.
static inline char *dq_get_str(mpq_srcptr a) { return mpq_get_str(NULL, 10, a); }
static inline void dq_free_str(char *s) {
    void (*release)(void *, size_t);
    mp_get_memory_functions(NULL, NULL, &release);
    release(s, strlen(s) + 1);
}
// Natural numbers for the exact samplers (mpz).
static inline void dz_init(mpz_ptr z) { mpz_init(z); }
static inline void dz_clear(mpz_ptr z) { mpz_clear(z); }
static inline void dz_set_u64(mpz_ptr z, unsigned long v) { mpz_set_ui(z, v); }
static inline void dz_set(mpz_ptr r, mpz_srcptr a) { mpz_set(r, a); }
static inline int dz_fits_u64(mpz_srcptr z) { return mpz_fits_ulong_p(z); }
static inline unsigned long dz_get_u64(mpz_srcptr z) { return mpz_get_ui(z); }
static inline void dz_add(mpz_ptr r, mpz_srcptr a, mpz_srcptr b) { mpz_add(r, a, b); }
static inline void dz_sub(mpz_ptr r, mpz_srcptr a, mpz_srcptr b) { mpz_sub(r, a, b); }
static inline void dz_mul(mpz_ptr r, mpz_srcptr a, mpz_srcptr b) { mpz_mul(r, a, b); }
/// r = floor(a / b), b > 0.
static inline void dz_fdiv_q(mpz_ptr r, mpz_srcptr a, mpz_srcptr b) { mpz_fdiv_q(r, a, b); }
static inline void dz_sqrt(mpz_ptr r, mpz_srcptr a) { mpz_sqrt(r, a); }
static inline int dz_cmp(mpz_srcptr a, mpz_srcptr b) { return mpz_cmp(a, b); }
static inline int dz_sgn(mpz_srcptr a) { return mpz_sgn(a); }
static inline void dz_abs(mpz_ptr r, mpz_srcptr a) { mpz_abs(r, a); }
/// The number of bits of a (a > 0).
static inline size_t dz_bits(mpz_srcptr a) { return mpz_sizeinbase(a, 2); }
/// z = the `count` 64-bit words at `words`, least significant first.
static inline void dz_import_words(mpz_ptr z, size_t count, const unsigned long *words) {
    mpz_import(z, count, -1, sizeof(unsigned long), 0, 0, words);
}
/// Limb n of a (64 bits on the platforms discreet builds for), least significant first.
static inline unsigned long dz_limb(mpz_srcptr a, size_t n) { return mpz_getlimbn(a, n); }
/// The decimal text of a, written into a buffer the caller frees with dq_free_str.
static inline char *dz_get_str(mpz_srcptr a) { return mpz_get_str(NULL, 10, a); }
/// The numerator and denominator of a rational.
static inline void dq_get_num(mpz_ptr r, mpq_srcptr q) { mpq_get_num(r, q); }
static inline void dq_get_den(mpz_ptr r, mpq_srcptr q) { mpq_get_den(r, q); }
#endif
