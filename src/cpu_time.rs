//! CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): what a step costs on the worker
//! that runs it, unlike wall time, which also counts the time the thread waited for a core.

/// Seconds of CPU the calling thread has used so far.
pub fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a constant that
    // every Linux kernel since 2.6.12 supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_work_not_sleep() {
        let start = thread_cpu_seconds();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let slept = thread_cpu_seconds() - start;
        let mut x = 0u64;
        let busy_start = thread_cpu_seconds();
        while thread_cpu_seconds() - busy_start < 0.1 {
            x = x.wrapping_add(1);
        }
        assert!(slept < 0.05, "sleeping cost {slept} s of CPU");
        assert!(x > 0 && thread_cpu_seconds() - busy_start >= 0.1);
    }
}
