//! The process's allocator.
//!
//! The capture pipeline allocates on the reader thread and frees on the workers (and the
//! reverse) millions of times: glibc's malloc spent ~25% of the run in malloc/free and
//! malloc_consolidate there; mimalloc's thread-local free lists make the cross-thread pattern
//! cheap.

#[global_allocator]
static GLOBAL: Allocator = Allocator;

/// Blocks of this size and more are the kernel's own mappings (Linux): a large body grows by
/// `mremap`, which moves pages instead of copying bytes into a fresh block that the kernel must
/// first zero (the capture reader grows a 128 MiB upload's body by doubling: with mimalloc
/// every step copied the body so far into newly faulted memory). Freed, they go back at once.
const HUGE: usize = 32 << 20;

/// Whether a block of `size` bytes aligned to `align` is mapped directly.
#[inline]
fn huge(size: usize, align: usize) -> bool {
    cfg!(target_os = "linux") && size >= HUGE && align <= 4096
}

/// A fresh anonymous mapping of `size` bytes (zero-filled), or null.
#[inline]
#[allow(unsafe_code)]
unsafe fn map(size: usize) -> *mut u8 {
    let p = libc::mmap(
        std::ptr::null_mut(),
        size,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    );
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

/// mimalloc's `mi_option_purge_delay` (libmimalloc-sys 0.1 `v2`: `c_src/mimalloc/v2/include/
/// mimalloc.h`, `enum mi_option_e`, the 16th option; its documented default is 10 ms).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// How long freed memory stays committed before mimalloc returns it to the OS.
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

#[allow(unsafe_code)]
extern "C" {
    // Declared here: libmimalloc-sys declares them only with its `extended` feature, but the
    // library it builds always has them.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// Keeps freed memory committed for a second before it goes back to the OS (unless
/// `MIMALLOC_PURGE_DELAY` says otherwise). A capture's large bodies grow by reallocation and
/// are freed after verification: with mimalloc's 10 ms each new one was faulted in and zeroed
/// by the kernel again, which took ~75% of `report`'s time on 1 GiB of 128 MiB uploads
/// (`bench/payload/results.md`: 4.6 s of system time, 0.4 s with the delay).
pub fn tune() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option by its index; mimalloc bounds-checks the index.
        #[allow(unsafe_code)]
        unsafe {
            mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS)
        };
    }
}

/// mimalloc, called without its aligned-allocation path for the usual alignments: `mi_malloc`
/// already aligns to 16 bytes, and the `mimalloc` crate's `_aligned` entry points cost ~30
/// instructions more per call (several million calls per large capture).
struct Allocator;

/// What `mi_malloc` guarantees (`MI_MAX_ALIGN_SIZE` on 64-bit targets).
const MI_MAX_ALIGN: usize = 16;

// SAFETY: every call is forwarded to mimalloc with the layout's size, and the alignment is
// either guaranteed by `mi_malloc`/`mi_realloc` (<= 16) or passed to the aligned variants.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if huge(layout.size(), layout.align()) {
            return map(layout.size());
        }
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_malloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if huge(layout.size(), layout.align()) {
            // Fresh anonymous pages are zero.
            return map(layout.size());
        }
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_zalloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if huge(layout.size(), layout.align()) {
            libc::munmap(ptr.cast(), layout.size());
            return;
        }
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let (was, will) = (
            huge(layout.size(), layout.align()),
            huge(new_size, layout.align()),
        );
        if was && will {
            // The kernel moves the pages (or extends them in place): nothing is copied, and
            // the pages already written are not faulted in and zeroed again.
            let p = libc::mremap(ptr.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE);
            return if p == libc::MAP_FAILED {
                std::ptr::null_mut()
            } else {
                p.cast()
            };
        }
        if was || will {
            // Across the threshold: a new block, the bytes copied, the old one freed.
            let new_layout =
                std::alloc::Layout::from_size_align_unchecked(new_size, layout.align());
            let p = self.alloc(new_layout);
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            return p;
        }
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    /// A body grown by doubling across the threshold and far past it keeps every byte, and a
    /// zeroed huge block is zero.
    #[test]
    fn huge_blocks_grow_and_keep_their_bytes() {
        let mut v: Vec<u8> = Vec::new();
        let mut x = 7u32;
        for _ in 0..(80 << 20) / 4096 {
            let chunk: Vec<u8> = (0..4096)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            v.extend_from_slice(&chunk);
        }
        assert!(v.capacity() >= super::HUGE);
        let mut y = 7u32;
        assert!(v.iter().all(|&b| {
            y = y.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b == (y >> 16) as u8
        }));
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(v.len(), 10);
        let z = vec![0u8; 40 << 20];
        assert!(z.iter().step_by(4096).all(|&b| b == 0));
        let mut w = vec![1u8; 40 << 20];
        w.resize(100 << 20, 2);
        assert_eq!(
            (w[0], w[(40 << 20) - 1], w[40 << 20], w[(100 << 20) - 1]),
            (1, 1, 2, 2)
        );
    }

    /// The index is purge_delay's: its documented default (10 ms) until tuned, then ours.
    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_is_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one option by index.
        assert_eq!(
            unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) },
            10
        );
        super::tune();
        assert_eq!(
            unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) },
            super::PURGE_DELAY_MS
        );
    }
}
