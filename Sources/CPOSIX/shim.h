#ifndef DISCREET_CPOSIX_SHIM_H
#define DISCREET_CPOSIX_SHIM_H
// Linux calls that Swift's Glibc module leaves out (they need _GNU_SOURCE).
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#include <sys/syscall.h>
#endif

/// A file with no name in `directory`, open for reading and writing: it disappears when
/// closed, or when the process dies. -1 with errno set where the system or the file
/// system cannot make one.
static inline int discreet_open_anonymous(const char *directory) {
#if defined(__linux__) && defined(__O_TMPFILE)
    return open(directory, __O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}

/// Swaps two paths in one step (renameat2 with RENAME_EXCHANGE): -1 with errno set where
/// the system or the file system cannot.
static inline int discreet_exchange_paths(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
#else
    errno = ENOSYS;
    return -1;
#endif
}
/// Fills `buffer` with `count` bytes from the operating system's cryptographic generator
/// (getrandom(2), which blocks only until the generator is first seeded at boot): 0, or -1
/// with errno set where the system cannot.
static inline int discreet_random_bytes(void *buffer, size_t count) {
#if defined(__linux__)
    unsigned char *at = (unsigned char *)buffer;
    while (count > 0) {
        ssize_t got = getrandom(at, count, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        at += got;
        count -= (size_t)got;
    }
    return 0;
#else
    errno = ENOSYS;
    return -1;
#endif
}
#endif
