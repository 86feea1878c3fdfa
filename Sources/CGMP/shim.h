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
#endif
