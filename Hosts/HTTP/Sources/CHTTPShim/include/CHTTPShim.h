// CHTTPShim: the few Linux calls the HTTP server needs that Swift's Glibc module does not
// export (epoll, accept4, eventfd, memmem need _GNU_SOURCE) or that are awkward from Swift
// (struct epoll_event is packed on x86_64). Everything is a plain function or constant.
#ifndef CHTTPSHIM_H
#define CHTTPSHIM_H

// _GNU_SOURCE is defined in CHTTPShim.c, not here: a header that changes feature macros
// makes Clang's view of <sys/select.h> differ from Swift's Glibc module and the import fails.
// So this header includes only <stdint.h>/<stddef.h> and uses no system structs.
#include <stdint.h>
#include <stddef.h>

// Readiness bits, re-exported as constants because the headers define them as enum-backed macros.
extern const uint32_t chttp_EPOLLIN;
extern const uint32_t chttp_EPOLLOUT;
extern const uint32_t chttp_EPOLLRDHUP;
extern const uint32_t chttp_EPOLLERR;
extern const uint32_t chttp_EPOLLHUP;
extern const uint32_t chttp_EPOLLET;
extern const int chttp_MSG_NOSIGNAL;

/// An epoll event without the packing: what Swift reads after `chttp_epoll_wait`.
typedef struct {
    uint32_t events;
    uint64_t token;
} chttp_event;

/// A new epoll instance (close-on-exec), or -1 with errno.
int chttp_epoll_create(void);
/// Registers `fd` with `events`; `token` comes back in `chttp_event.token`.
int chttp_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int chttp_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
int chttp_epoll_remove(int epfd, int fd);
/// Waits like epoll_wait (at most 256 events per call) and unpacks the events into `out`.
int chttp_epoll_wait(int epfd, chttp_event *out, int max_events, int timeout_ms);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; writes the peer's numeric address into
/// `address` (NUL-terminated, at most `address_capacity` bytes). Returns the fd or -1 with errno.
int chttp_accept(int listen_fd, char *address, size_t address_capacity);

/// A non-blocking listening TCP socket bound to a numeric `host` ("127.0.0.1", "::", "0.0.0.0").
/// Returns the fd and stores the bound port in `bound_port`, or returns -errno.
int chttp_listen(const char *host, int port, int backlog, int *bound_port);

/// A non-blocking, close-on-exec eventfd used to wake a loop, or -1 with errno.
int chttp_eventfd(void);
/// Adds one to the eventfd counter (wakes an epoll_wait watching it).
void chttp_eventfd_signal(int fd);
/// Resets the eventfd counter.
void chttp_eventfd_drain(int fd);

/// sendmsg of two buffers (head, body; `second_count` may be 0) with MSG_NOSIGNAL: one
/// syscall per response. Returns bytes sent or -1 with errno.
long chttp_send2(int fd, const void *first, size_t first_count, const void *second, size_t second_count);
/// send with MSG_NOSIGNAL.
long chttp_send(int fd, const void *bytes, size_t count);

/// Names the calling thread (shows in top -H, gdb); at most 15 bytes are kept.
void chttp_set_thread_name(const char *name);

/// Offset of the first "\r\n\r\n" in `bytes[0..<count]`, or -1.
long chttp_find_head_end(const uint8_t *bytes, size_t count);

/// Sets TCP_NODELAY (responses are written whole; Nagle would only add latency).
void chttp_set_nodelay(int fd);

#endif
