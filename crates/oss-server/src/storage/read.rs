//! Streaming the data of an opened object: [`RangeReader`].
//!
//! A GET of a large object is a long run of file reads, each followed by a socket write of the
//! same bytes. The reader keeps one read in flight ahead of the HTTP writer: when it hands a
//! chunk over, it has already started reading the next one on the blocking pool, so the file
//! read of one chunk overlaps the socket send of the previous one, and a slow disk never stalls
//! a runtime thread. A stream thus holds at most two chunks: the one being sent and the one
//! being read.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

/// Bytes per file read of a [`RangeReader`]: one chunk handed to the HTTP writer. Large enough
/// that a 512 MiB GET is 512 reads and socket writes, small enough that a GET holds little
/// memory (one chunk being read ahead, one being sent).
pub const RANGE_CHUNK: usize = 1024 * 1024;

/// One file range still to read: data bytes `at..end` of `file`.
pub(crate) struct Piece {
    pub(crate) file: std::fs::File,
    pub(crate) at: u64,
    pub(crate) end: u64,
}

impl Piece {
    /// Reads the next chunk (up to [`RANGE_CHUNK`] bytes) and advances. The buffer is filled
    /// by the read itself, never zeroed first. A file that ends before `end` is an
    /// `UnexpectedEof` error naming the offset and the missing bytes.
    fn read_chunk(&mut self) -> std::io::Result<Bytes> {
        let want = usize::try_from(self.end - self.at).map_or(RANGE_CHUNK, |n| n.min(RANGE_CHUNK));
        let mut buf = Vec::with_capacity(want);
        // Clones of one open file share its cursor: position it before every read.
        (&self.file).seek(SeekFrom::Start(self.at))?;
        (&self.file).take(want as u64).read_to_end(&mut buf)?;
        if buf.len() < want {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "object data ends early: {} bytes missing at data offset {} of a piece \
                     expected to hold {} bytes",
                    self.end - self.at - buf.len() as u64,
                    self.at + buf.len() as u64,
                    self.end
                ),
            ));
        }
        self.at += want as u64;
        Ok(Bytes::from(buf))
    }
}

/// A chunk read on the blocking pool, with its piece (advanced past the chunk).
type PieceRead = tokio::task::JoinHandle<std::io::Result<(Piece, Bytes)>>;

/// Reads a byte range of an object across its files in order, yielding chunks of up to
/// [`RANGE_CHUNK`] bytes read on the blocking pool, one read ahead of the consumer (see the
/// module docs). After an error the stream ends, so a consumer never receives the bytes that
/// follow a gap.
///
/// A reader dropped before its end leaves its read-ahead to finish on the pool (its buffer is
/// then freed); the readers of one object share their files' cursors, so read them one after
/// the other, each to its end.
pub struct RangeReader {
    /// The ranges not yet handed to a read, in order.
    pieces: VecDeque<Piece>,
    /// The read of the next chunk, running on the blocking pool.
    ahead: Option<PieceRead>,
    /// Reads started so far.
    reads: u32,
}

impl RangeReader {
    pub(crate) fn new(pieces: VecDeque<Piece>) -> RangeReader {
        RangeReader {
            pieces,
            ahead: None,
            reads: 0,
        }
    }

    /// How many chunk reads this reader has started so far (the chunks yielded, plus the one
    /// read ahead if any).
    pub fn reads_started(&self) -> u32 {
        self.reads
    }

    /// Whether a read of the next chunk is in flight.
    pub fn is_reading_ahead(&self) -> bool {
        self.ahead.is_some()
    }

    /// Starts reading the next chunk on the blocking pool, unless the range is exhausted.
    fn start_next_read(&mut self) {
        let Some(mut piece) = self.next_piece() else {
            return;
        };
        self.reads += 1;
        self.ahead = Some(tokio::task::spawn_blocking(move || {
            let chunk = piece.read_chunk()?;
            Ok((piece, chunk))
        }));
    }

    /// The next piece with bytes left to read.
    fn next_piece(&mut self) -> Option<Piece> {
        while let Some(piece) = self.pieces.pop_front() {
            if piece.at < piece.end {
                return Some(piece);
            }
        }
        None
    }

    /// Ends the stream after an error.
    fn fail(&mut self, error: std::io::Error) -> Poll<Option<std::io::Result<Bytes>>> {
        self.pieces.clear();
        Poll::Ready(Some(Err(error)))
    }
}

impl futures::Stream for RangeReader {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ahead.is_none() {
            // The first poll (or after an error: nothing is left to read then).
            self.start_next_read();
        }
        let Some(ahead) = self.ahead.as_mut() else {
            return Poll::Ready(None);
        };
        let done = match Pin::new(ahead).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        self.ahead = None;
        match done {
            Ok(Ok((piece, chunk))) => {
                if piece.at < piece.end {
                    self.pieces.push_front(piece);
                }
                // Read the next chunk while the consumer sends this one.
                self.start_next_read();
                Poll::Ready(Some(Ok(chunk)))
            }
            Ok(Err(e)) => self.fail(e),
            Err(e) => self.fail(std::io::Error::other(format!("object read task: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn pattern(seed: u8, size: usize) -> Vec<u8> {
        (0..size)
            .map(|i| ((i / 5) as u8).wrapping_mul(7) ^ (i as u8) ^ seed)
            .collect()
    }

    /// Files with the given contents in a fresh temporary directory.
    fn files(contents: &[&[u8]]) -> (tempfile::TempDir, Vec<std::fs::File>) {
        let dir = tempfile::tempdir().unwrap();
        let files = contents
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let path = dir.path().join(format!("piece-{i}"));
                std::fs::write(&path, data).unwrap();
                std::fs::File::open(&path).unwrap()
            })
            .collect();
        (dir, files)
    }

    /// Drains a reader: the chunks (or the error that ended it) and the reads it started.
    /// Checks on the way that every chunk handed over (but the last) has the next read in
    /// flight, and that no more than that one is: at most two chunks per stream.
    async fn drain(mut reader: RangeReader) -> (Vec<Bytes>, Option<std::io::Error>, u32) {
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut error = None;
        // Chunks the reader handed over before (every read started but the one ahead).
        let mut yielded = reader.reads_started() - u32::from(reader.is_reading_ahead());
        while let Some(item) = reader.next().await {
            match item {
                Ok(chunk) => {
                    yielded += 1;
                    let in_flight = reader.reads_started() - yielded;
                    assert!(in_flight <= 1, "{in_flight} reads ahead");
                    assert_eq!(in_flight == 1, reader.is_reading_ahead());
                    chunks.push(chunk);
                }
                Err(e) => {
                    assert!(error.is_none(), "a second item after an error");
                    assert!(!reader.is_reading_ahead(), "a read after an error");
                    error = Some(e);
                }
            }
        }
        (chunks, error, reader.reads_started())
    }

    fn reader(pieces: Vec<(std::fs::File, u64, u64)>) -> RangeReader {
        let pieces = pieces
            .into_iter()
            .map(|(file, at, end)| Piece { file, at, end })
            .collect();
        RangeReader::new(pieces)
    }

    #[tokio::test]
    async fn ranges_across_pieces_are_byte_exact() {
        let a = pattern(1, RANGE_CHUNK + 300);
        let b = pattern(2, 17);
        let c = pattern(3, 2 * RANGE_CHUNK + 9);
        let (_dir, f) = files(&[&a, &b, &c]);
        let mut it = f.into_iter();
        let (fa, fb, fc) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        let pieces = vec![
            (fa, 100, a.len() as u64),
            (fb, 0, b.len() as u64),
            (fc, 0, c.len() as u64 - 4),
        ];
        let (chunks, error, reads) = drain(reader(pieces)).await;
        assert!(error.is_none(), "{error:?}");
        let expected = [&a[100..], &b[..], &c[..c.len() - 4]].concat();
        assert!(chunks.concat() == expected, "bytes differ");
        assert!(chunks
            .iter()
            .all(|c| !c.is_empty() && c.len() <= RANGE_CHUNK));
        // One read per chunk: none past the end of the range.
        assert_eq!(reads, chunks.len() as u32);
    }

    #[tokio::test]
    async fn the_next_chunk_is_read_while_the_previous_one_is_held() {
        let data = pattern(4, 3 * RANGE_CHUNK);
        let (_dir, f) = files(&[&data]);
        let file = f.into_iter().next().unwrap();
        let mut reader = reader(vec![(file, 0, data.len() as u64)]);
        assert_eq!(
            reader.reads_started(),
            0,
            "nothing is read before the first poll"
        );
        let first = reader.next().await.unwrap().unwrap();
        // The consumer holds the first chunk (as hyper does while sending it): the second
        // is already being read, and only it.
        assert!(reader.is_reading_ahead());
        assert_eq!(reader.reads_started(), 2);
        let (rest, error, reads) = drain(reader).await;
        assert!(error.is_none(), "{error:?}");
        assert!([first].into_iter().chain(rest).collect::<Vec<_>>().concat() == data);
        assert_eq!(reads, 3);
    }

    #[tokio::test]
    async fn an_empty_range_reads_nothing() {
        let (_dir, f) = files(&[b"abc"]);
        let file = f.into_iter().next().unwrap();
        let (chunks, error, reads) = drain(reader(vec![(file, 3, 3)])).await;
        assert!(chunks.is_empty() && error.is_none() && reads == 0);
    }

    #[tokio::test]
    async fn a_file_ending_early_ends_the_stream_with_an_error() {
        let short = pattern(6, RANGE_CHUNK + 10);
        let next = pattern(7, 100);
        let (_dir, f) = files(&[&short, &next]);
        let mut it = f.into_iter();
        let (fs, fnext) = (it.next().unwrap(), it.next().unwrap());
        // The first piece claims 2 MiB; its file holds RANGE_CHUNK + 10 bytes.
        let pieces = vec![(fs, 0, 2 * RANGE_CHUNK as u64), (fnext, 0, 100)];
        let (chunks, error, reads) = drain(reader(pieces)).await;
        let error = error.expect("the short file must end the stream with an error");
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
        let text = error.to_string();
        assert!(
            text.contains(&format!("{} bytes missing", RANGE_CHUNK - 10)),
            "{text}"
        );
        // The whole chunks before the gap, and nothing after it (not the next piece).
        assert_eq!(chunks.concat(), short[..RANGE_CHUNK].to_vec());
        assert_eq!(reads, 2, "no read after the failed one");
    }
}
