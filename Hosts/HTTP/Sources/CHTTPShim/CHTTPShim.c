// Implementation of the CHTTPShim wrappers; see include/CHTTPShim.h for why each exists.
#define _GNU_SOURCE  // accept4, memmem, pthread_setname_np
#include "CHTTPShim.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

const uint32_t chttp_EPOLLIN = EPOLLIN;
const uint32_t chttp_EPOLLOUT = EPOLLOUT;
const uint32_t chttp_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t chttp_EPOLLERR = EPOLLERR;
const uint32_t chttp_EPOLLHUP = EPOLLHUP;
const uint32_t chttp_EPOLLET = EPOLLET;
const int chttp_MSG_NOSIGNAL = MSG_NOSIGNAL;

int chttp_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int chttp_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = { .events = events, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int chttp_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = { .events = events, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int chttp_epoll_remove(int epfd, int fd) {
    struct epoll_event unused = { 0 };
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &unused);
}

int chttp_epoll_wait(int epfd, chttp_event *out, int max_events, int timeout_ms) {
    struct epoll_event events[256];
    if (max_events > 256) max_events = 256;
    int count = epoll_wait(epfd, events, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        out[i].events = events[i].events;
        out[i].token = events[i].data.u64;
    }
    return count;
}

int chttp_accept(int listen_fd, char *address, size_t address_capacity) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof(storage);
    int fd = accept4(listen_fd, (struct sockaddr *)&storage, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return fd;
    if (address && address_capacity > 0) {
        address[0] = 0;
        if (storage.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&storage)->sin_addr, address, (socklen_t)address_capacity);
        } else if (storage.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&storage)->sin6_addr, address, (socklen_t)address_capacity);
        }
    }
    return fd;
}

int chttp_listen(const char *host, int port, int backlog, int *bound_port) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo *result = NULL;
    int status = getaddrinfo(host, service, &hints, &result);
    if (status != 0 || result == NULL) return -EINVAL;

    int fd = socket(result->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { int e = errno; freeaddrinfo(result); return -e; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, result->ai_addr, result->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        freeaddrinfo(result);
        return -e;
    }
    freeaddrinfo(result);

    struct sockaddr_storage bound;
    socklen_t length = sizeof(bound);
    getsockname(fd, (struct sockaddr *)&bound, &length);
    if (bound.ss_family == AF_INET) *bound_port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    else *bound_port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    return fd;
}

int chttp_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void chttp_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t ignored = write(fd, &one, sizeof(one));
    (void)ignored;
}

void chttp_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t ignored = read(fd, &value, sizeof(value));
    (void)ignored;
}

long chttp_send2(int fd, const void *first, size_t first_count, const void *second, size_t second_count) {
    struct iovec vectors[2] = {
        { .iov_base = (void *)first, .iov_len = first_count },
        { .iov_base = (void *)second, .iov_len = second_count },
    };
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_iov = vectors;
    message.msg_iovlen = second_count > 0 ? 2 : 1;
    return sendmsg(fd, &message, MSG_NOSIGNAL);
}

void chttp_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, 15);
    truncated[15] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

long chttp_send(int fd, const void *bytes, size_t count) {
    return send(fd, bytes, count, MSG_NOSIGNAL);
}

long chttp_find_head_end(const uint8_t *bytes, size_t count) {
    const uint8_t *found = memmem(bytes, count, "\r\n\r\n", 4);
    return found ? (long)(found - bytes) : -1;
}

void chttp_set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
