//! Writing to standard output so that a closed pipe (`curate stages | head`) ends curate quietly:
//! `println!` panics there. The default SIGPIPE action would do it too, but it would also kill
//! curate when a command rule's process dies under it (that must quarantine the batch instead).

/// `println!` that hands a write error to `?` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

/// `print!` that hands a write error to `?` instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?
    }};
}

/// Whether `error` comes from writing into a pipe whose reader has gone.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
