//! The process's allocator.
//!
//! The capture pipeline allocates on the reader thread and frees on the workers (and the
//! reverse) millions of times: glibc's malloc spent ~25% of the run in malloc/free and
//! malloc_consolidate there; mimalloc's thread-local free lists make the cross-thread pattern
//! cheap.

#[global_allocator]
static GLOBAL: Allocator = Allocator;

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
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_malloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_zalloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}
