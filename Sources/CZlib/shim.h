#ifndef DISCREET_CZLIB_SHIM_H
#define DISCREET_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 is a macro passing the library's version and the stream's size, which Swift
// cannot import: a function around it.
static inline int discreet_inflate_init_raw(z_stream *stream) { return inflateInit2(stream, -MAX_WBITS); }
#endif
