//! The requests a judge server holds: one queue for every question of a run (all tasks, all
//! steps), served by a fixed number of workers, each with one request in flight. The server
//! always has as many requests as it was given room for while there are questions; the queue is
//! bounded, so a caller with more questions waits (memory stays bounded), and a worker's
//! connection is kept alive between requests.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A unit of work: one request and where its answer goes.
type Job = Box<dyn FnOnce() + Send>;

/// Questions waiting per worker before callers wait.
const QUEUED_PER_WORKER: usize = 2;

/// A fixed set of workers taking jobs from one bounded queue.
pub struct RequestPool {
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl RequestPool {
    /// `workers` threads (at least one), named after `name`.
    pub fn new(workers: usize, name: &str) -> Self {
        let workers = workers.max(1);
        let (sender, receiver) = mpsc::sync_channel::<Job>(workers * QUEUED_PER_WORKER);
        let receiver: Arc<Mutex<Receiver<Job>>> = Arc::new(Mutex::new(receiver));
        let handles = (0..workers)
            .map(|i| {
                let receiver = receiver.clone();
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .stack_size(256 * 1024)
                    .spawn(move || loop {
                        // The lock is held only to take a job, not while it runs.
                        let job = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    })
                    .expect("spawning a judge request worker")
            })
            .collect();
        Self { sender: Some(sender), workers: handles }
    }

    /// Workers, i.e. requests in flight at most.
    pub fn size(&self) -> usize {
        self.workers.len()
    }

    /// Runs `one` on every item through the pool; one result per item, in order. Blocks while
    /// the queue is full, then until every answer is in.
    pub fn map<T, R>(&self, items: &[T], one: Arc<dyn Fn(&T) -> R + Send + Sync>) -> Vec<R>
    where
        T: Clone + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<(usize, R)>();
        let sender = self.sender.as_ref().expect("the pool is open until dropped");
        for (i, item) in items.iter().enumerate() {
            let (tx, one, item) = (tx.clone(), one.clone(), item.clone());
            sender
                .send(Box::new(move || {
                    let _ = tx.send((i, one(&item)));
                }))
                .expect("judge request workers stopped");
        }
        drop(tx);
        let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
        for (i, r) in rx {
            out[i] = Some(r);
        }
        out.into_iter().map(|r| r.expect("every request answered")).collect()
    }
}

impl Drop for RequestPool {
    fn drop(&mut self) {
        // Closing the queue ends every worker once it is empty.
        self.sender.take();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn answers_in_order_with_at_most_the_workers_in_flight() {
        let pool = RequestPool::new(4, "test");
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (f, m) = (in_flight.clone(), most.clone());
        let one: Arc<dyn Fn(&u64) -> u64 + Send + Sync> = Arc::new(move |x| {
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            f.fetch_sub(1, Ordering::SeqCst);
            x * 2
        });
        let items: Vec<u64> = (0..40).collect();
        // Two callers at once share the four workers.
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| pool.map(&items, one.clone()));
            let b = s.spawn(|| pool.map(&items, one.clone()));
            (a.join().unwrap(), b.join().unwrap())
        });
        let expected: Vec<u64> = items.iter().map(|x| x * 2).collect();
        assert_eq!((a, b), (expected.clone(), expected));
        assert_eq!(most.load(Ordering::SeqCst), 4);
    }
}
