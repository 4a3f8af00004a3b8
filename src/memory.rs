//! Giving freed memory back to the system between tasks. glibc's allocator keeps what a finished
//! task freed in its arenas, in pieces the next task's allocations do not fit exactly, so over
//! many tasks the process grows though no task needs more; `malloc_trim` hands the free pages
//! back.

/// Returns the allocator's free pages to the system (glibc; elsewhere there is nothing to do).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims the allocator's own free lists; it takes no
    // pointers and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
