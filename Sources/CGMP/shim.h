#ifndef DISCREET_CGMP_SHIM_H
#define DISCREET_CGMP_SHIM_H
// GNU MP: exact integer and rational arithmetic for the audit and the samplers.
#include <gmp.h>
#endif
