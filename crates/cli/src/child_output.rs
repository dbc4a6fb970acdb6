//! A child process's stdout and stderr copied to ours through a [`Masker`], for `run`
//! and the agent's supervised process.

use std::io::Write;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;

use crate::mask::{Masker, Patterns};

/// One of the child's streams and where it goes.
pub type Reader = (Box<dyn AsyncRead + Unpin + Send>, Output);

/// Where a child's stream is copied to.
#[derive(Clone, Copy)]
pub enum Output {
    /// Our stdout.
    Stdout,
    /// Our stderr.
    Stderr,
}

/// Copies every stream (at most two) through its own masker until each ends. When
/// `patterns` changes (new values were resolved), each masker flushes what it holds and
/// continues with the new patterns.
pub async fn drain(readers: Vec<Reader>, patterns: watch::Receiver<Arc<Patterns>>) {
    let mut readers = readers.into_iter();
    let (first, second) = (readers.next(), readers.next());
    tokio::join!(pump(first, patterns.clone()), pump(second, patterns));
}

/// Copies one stream, masked. A pty master reports the end as EIO once the child and
/// everything it started have closed the terminal.
async fn pump(reader: Option<Reader>, mut patterns: watch::Receiver<Arc<Patterns>>) {
    let Some((mut reader, output)) = reader else {
        return;
    };
    let mut buffer = vec![0u8; 16 * 1024];
    // Whether new patterns can still come (the sender is alive).
    let mut live = true;
    // Bytes the previous masker held back: they may begin a value, so the next masker
    // sees them first.
    let mut carried = Vec::new();
    loop {
        let current = Arc::clone(&patterns.borrow_and_update());
        let mut masker = Masker::new(&current);
        write(output, &masker.feed(&std::mem::take(&mut carried)));
        let ended = loop {
            tokio::select! {
                read = reader.read(&mut buffer) => match read {
                    Ok(0) | Err(_) => break true,
                    Ok(n) => write(output, &masker.feed(&buffer[..n])),
                },
                changed = patterns.changed(), if live => match changed {
                    Ok(()) => break false,
                    Err(_) => live = false,
                },
            }
        };
        carried = masker.finish();
        if ended {
            write(output, &carried);
            return;
        }
    }
}

fn write(output: Output, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    // A closed stdout (`| head`) is the reader's choice; the child keeps running.
    let _ = match output {
        Output::Stdout => std::io::stdout()
            .lock()
            .write_all(bytes)
            .and_then(|()| std::io::stdout().flush()),
        Output::Stderr => std::io::stderr().lock().write_all(bytes),
    };
}
