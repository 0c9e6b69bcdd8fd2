// CSHA256: the SHA-256 compression function on the x86 SHA extensions (SHA-NI), for the
// kernel's `SHA256` type. Only the Kernel module imports it (`internal import`), so plugins
// built against the Kernel package never see it. Plain C types only: no intrinsics headers
// here, so importing the module needs no target flags.
#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can run `souk_sha256_compress_blocks` (SHA, SSE4.1 and SSSE3), else 0.
/// Always 0 on other architectures.
int souk_sha256_accelerated(void);

/// Runs the SHA-256 compression function over `count` consecutive 64-byte blocks starting at
/// `blocks` (any alignment), updating the eight state words `state[0...7]` (H0...H7 as
/// native integers). Call only when `souk_sha256_accelerated()` returned 1.
void souk_sha256_compress_blocks(uint32_t state[8], const uint8_t *blocks, size_t count);

#endif
