//! The service's one writer: a thread that owns the [`Publisher`] and works off creations and
//! withdrawals in order. Creations that arrive while it is busy are taken together as one
//! batch (one transaction, renders on all cores, one fsync round, one index commit), which is
//! what lets many parallel `POST /papers` share the cost of durability. A re-rendering job
//! (`POST /rerender`) runs here too, one short transaction at a time, between the other jobs.

use std::sync::Arc;
use std::thread::JoinHandle;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::{mpsc, oneshot};

use super::jobs::Jobs;
use crate::archive::{Created, Selection};
use crate::model::Paper;
use crate::publish::{PublishError, Publisher, Rerender, RerenderOptions};
use crate::search::SearchIndex;

/// Most creations taken into one transaction.
pub const MAX_BATCH: usize = 32;
/// Requests that may wait for the writer before callers are made to wait for a slot.
const QUEUE: usize = 1024;
/// How long the writer waits for a re-rendered paper before it looks at its queue again.
const RERENDER_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

enum Job {
    Create {
        paper: Box<Paper>,
        reply: oneshot::Sender<Result<Created, PublishError>>,
    },
    Withdraw {
        reference: String,
        reason: String,
        reply: oneshot::Sender<Result<(), PublishError>>,
    },
    /// Bring the search index up to the archive (another process's papers, a day that
    /// released blocked papers): see [`Publisher::sync_index`].
    Sync {
        reply: oneshot::Sender<Result<Option<usize>, PublishError>>,
    },
    /// Start re-rendering job `id` (its progress goes to the [`Jobs`]).
    Rerender {
        id: u64,
        selection: Selection,
        options: RerenderOptions,
        reply: oneshot::Sender<Result<(), PublishError>>,
    },
}

/// Why a job got no answer.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("the service is shutting down")]
    Gone,
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Handle to the writer thread (see its `Drop`).
pub struct Writer {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread with `publisher`; `search` is the service's index handle,
    /// reloaded after every change so that a paper is searchable when its request returns.
    /// `batches_split` counts the batches that failed and were created one by one.
    pub fn start(
        publisher: Publisher,
        search: Arc<SearchIndex>,
        rerender_jobs: Arc<Jobs>,
        batches_split: Counter,
    ) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("drucksache-writer".into())
            // It renders single papers itself: Typst needs a render thread's stack.
            .stack_size(crate::render::RENDER_THREAD_STACK)
            .spawn(move || run(publisher, queue, &search, &rerender_jobs, &batches_split))
            .expect("the writer thread starts");
        Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Numbers, renders, signs, stores and indexes a validated paper.
    pub async fn create(&self, paper: Paper) -> Result<Created, WriterError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Create {
            paper: Box::new(paper),
            reply,
        };
        self.send(job).await?;
        Ok(answer.await.map_err(|_| WriterError::Gone)??)
    }

    /// Withdraws a paper.
    pub async fn withdraw(&self, reference: String, reason: String) -> Result<(), WriterError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Withdraw {
            reference,
            reason,
            reply,
        };
        self.send(job).await?;
        Ok(answer.await.map_err(|_| WriterError::Gone)??)
    }

    /// Brings the search index up to the archive; returns how many papers were looked at.
    pub async fn sync_index(&self) -> Result<Option<usize>, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Sync { reply }).await?;
        Ok(answer.await.map_err(|_| WriterError::Gone)??)
    }

    /// Starts re-rendering job `id`; it runs on, between the other jobs, once this returns.
    pub async fn rerender(
        &self,
        id: u64,
        selection: Selection,
        options: RerenderOptions,
    ) -> Result<(), WriterError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Rerender {
            id,
            selection,
            options,
            reply,
        };
        self.send(job).await?;
        Ok(answer.await.map_err(|_| WriterError::Gone)??)
    }

    async fn send(&self, job: Job) -> Result<(), WriterError> {
        let jobs = self.jobs.as_ref().ok_or(WriterError::Gone)?;
        jobs.send(job).await.map_err(|_| WriterError::Gone)
    }
}

/// Dropping the last handle stops taking jobs and waits until the thread has finished the
/// ones it has: a shutdown never cuts a creation short.
impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the writer thread panicked");
        }
    }
}

fn run(
    mut publisher: Publisher,
    mut queue: mpsc::Receiver<Job>,
    search: &SearchIndex,
    jobs: &Jobs,
    batches_split: &Counter,
) {
    let mut next = None;
    let mut rerendering: Option<(u64, Rerender)> = None;
    loop {
        let waiting = next.take().or_else(|| queue.try_recv().ok());
        let waiting = match (waiting, rerendering.take()) {
            (Some(job), running) => {
                rerendering = running;
                Some(job)
            }
            // Nothing queued: the next batch of the re-rendering job.
            (None, Some((id, mut run))) => {
                if queue.is_closed() {
                    run.stop();
                }
                match run.step_within(&mut publisher, Some(RERENDER_WAIT)) {
                    Ok(Some(progress)) => {
                        jobs.progress(id, progress);
                        rerendering = Some((id, run));
                    }
                    Ok(None) => jobs.end(id, run.finish(&mut publisher).map_err(|e| e.to_string())),
                    Err(e) => jobs.end(id, Err(e.to_string())),
                }
                continue;
            }
            (None, None) => None,
        };
        let Some(job) = waiting.or_else(|| {
            // Idle: finish the last writes' fsyncs before waiting.
            publisher.archive_mut().settle();
            queue.blocking_recv()
        }) else {
            return;
        };
        // The replies go out after the service's search handle has seen the change: a paper
        // is searchable when its request returns.
        let reply: Box<dyn FnOnce()> = match job {
            Job::Withdraw {
                reference,
                reason,
                reply,
            } => {
                let result = publisher.withdraw(&reference, &reason);
                Box::new(move || {
                    let _ = reply.send(result);
                })
            }
            Job::Sync { reply } => {
                let result = publisher.sync_index();
                Box::new(move || {
                    let _ = reply.send(result);
                })
            }
            Job::Rerender {
                id,
                selection,
                options,
                reply,
            } => {
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let result = publisher
                    .start_rerender(&selection, options, stop)
                    .map(|run| rerendering = Some((id, run)));
                Box::new(move || {
                    let _ = reply.send(result);
                })
            }
            Job::Create { paper, reply } => {
                let mut batch = vec![(*paper, reply)];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(Job::Create { paper, reply }) => batch.push((*paper, reply)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let answers = create_batch(&mut publisher, batch, batches_split);
                Box::new(move || {
                    for (reply, result) in answers {
                        let _ = reply.send(result);
                    }
                })
            }
        };
        if let Err(e) = search.reload() {
            tracing::warn!("search index not reloaded: {e}");
        }
        reply();
    }
}

type Reply = oneshot::Sender<Result<Created, PublishError>>;

/// All papers in one transaction; if that fails, each on its own, so that one bad paper
/// (say, one that names an unknown `bezug`) does not fail the others. Returns each paper's
/// reply with its result.
fn create_batch(
    publisher: &mut Publisher,
    batch: Vec<(Paper, Reply)>,
    batches_split: &Counter,
) -> Vec<(Reply, Result<Created, PublishError>)> {
    if batch.len() == 1 {
        let (paper, reply) = batch.into_iter().next().expect("one job");
        return vec![(reply, publisher.create(paper))];
    }
    let papers: Vec<Paper> = batch.iter().map(|(paper, _)| paper.clone()).collect();
    match publisher.create_all(papers) {
        Ok(created) => batch
            .into_iter()
            .zip(created)
            .map(|((_, reply), created)| (reply, Ok(created)))
            .collect(),
        Err(e) => {
            batches_split.inc();
            tracing::info!(
                "a batch of {} papers failed ({e}); creating them one by one",
                batch.len()
            );
            batch
                .into_iter()
                .map(|(paper, reply)| (reply, publisher.create(paper)))
                .collect()
        }
    }
}
