#ifndef DISCREET_CGLPK_SHIM_H
#define DISCREET_CGLPK_SHIM_H
// GLPK (Debian: libglpk-dev): the linear programmes that propose witnesses for the search
// for complementary cells. What they propose is checked exactly, in integer arithmetic, by
// the certificate audit before it is used, and again with the whole pattern.
#include <glpk.h>
#endif
