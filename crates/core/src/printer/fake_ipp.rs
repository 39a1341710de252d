//! A fake IPP printer on a local TCP port (feature `testing`): it takes Print-Job requests,
//! keeps each job's name and document, and answers at once, or, while held, takes each job and
//! keeps the answer back until released: a printer slow to take a job, with the moment it has
//! the job visible to the test (or answers the first jobs and holds the next). Anything but Print-Job is answered "successful" with no
//! attributes.

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ipp::model::{DelimiterTag, Operation, StatusCode};
use ipp::parser::IppParser;
use ipp::prelude::{IppAttribute, IppRequestResponse, IppValue};
use ipp::reader::IppReader;

/// One job as the printer received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIppJob {
    /// The IPP `job-name` (the queue's job title).
    pub name: String,
    /// The document.
    pub document: Vec<u8>,
}

#[derive(Debug, Default)]
struct State {
    jobs: Vec<FakeIppJob>,
    held: bool,
    /// While held, the jobs answered anyway (the first this many).
    answered: usize,
}

/// An IPP printer listening on `127.0.0.1`; its accept thread ends with the test process.
#[derive(Debug, Clone)]
pub struct FakeIppPrinter {
    address: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl FakeIppPrinter {
    /// Starts one on a free port, answering at once.
    pub fn start() -> std::io::Result<FakeIppPrinter> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let printer = FakeIppPrinter {
            address: listener.local_addr()?,
            state: Arc::default(),
        };
        let serving = printer.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let printer = serving.clone();
                std::thread::spawn(move || printer.serve(conn));
            }
        });
        Ok(printer)
    }

    /// Its printer URI, `ipp://127.0.0.1:<port>/printers/fake`.
    pub fn url(&self) -> String {
        format!("ipp://{}/printers/fake", self.address)
    }

    /// From now on, takes each job and keeps its answer back until [`FakeIppPrinter::release`].
    pub fn hold(&self) {
        self.lock().held = true;
    }

    /// Answers the first `count` jobs (held or still to come) and holds the rest.
    pub fn answer(&self, count: usize) {
        let mut state = self.lock();
        state.held = true;
        state.answered = count;
        self.state.1.notify_all();
    }

    /// Answers every held job, and the next ones at once.
    pub fn release(&self) {
        self.lock().held = false;
        self.state.1.notify_all();
    }

    /// The jobs received so far (answered or held), oldest first.
    pub fn jobs(&self) -> Vec<FakeIppJob> {
        self.lock().jobs.clone()
    }

    /// The jobs once there are at least `count`; panics, naming them, after `patience` (an
    /// upper bound for a loaded machine, never waited out when the jobs come).
    pub fn wait_for_jobs(&self, count: usize, patience: Duration) -> Vec<FakeIppJob> {
        let deadline = Instant::now() + patience;
        let mut state = self.lock();
        while state.jobs.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the fake IPP printer got {} of {count} jobs in {patience:?}: {:?}",
                state.jobs.len(),
                state.jobs.iter().map(|j| &j.name).collect::<Vec<_>>()
            );
            state = self
                .state
                .1
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state.jobs.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers the HTTP requests on `conn` (one after another: clients keep connections).
    fn serve(&self, conn: TcpStream) {
        let Ok(mut writer) = conn.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(conn);
        while let Some(body) = read_request(&mut reader) {
            let Ok(request) = IppParser::new(IppReader::new(Cursor::new(body))).parse() else {
                return;
            };
            let header = *request.header();
            let mut response = match IppRequestResponse::new_response(
                header.version,
                StatusCode::SuccessfulOk,
                header.request_id,
            ) {
                Ok(response) => response,
                Err(_) => return,
            };
            if header.operation_or_status == Operation::PrintJob as i16 {
                let id = self.take(request);
                for (name, value) in [
                    ("job-id", IppValue::Integer(id)),
                    (
                        "job-uri",
                        IppValue::Uri(ipp::value::BoundedString::new_truncated(format!(
                            "{}/{id}",
                            self.url()
                        ))),
                    ),
                    ("job-state", IppValue::Enum(9)),
                ] {
                    if let Ok(attribute) = IppAttribute::with_name(name, value) {
                        response
                            .attributes_mut()
                            .add(DelimiterTag::JobAttributes, attribute);
                    }
                }
            }
            let bytes = response.to_bytes();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            );
            if writer
                .write_all(head.as_bytes())
                .and_then(|()| writer.write_all(&bytes))
                .is_err()
            {
                return;
            }
        }
    }

    /// Keeps a Print-Job's name and document, waits while held, and returns its job id.
    fn take(&self, request: IppRequestResponse) -> i32 {
        let name = request
            .attributes()
            .groups_of(DelimiterTag::OperationAttributes)
            .find_map(|g| g.get("job-name").map(|a| a.value().to_string()))
            .unwrap_or_default();
        let mut document = Vec::new();
        let _ = request.into_payload().read_to_end(&mut document);
        let mut state = self.lock();
        state.jobs.push(FakeIppJob { name, document });
        let number = state.jobs.len();
        let id = i32::try_from(number).unwrap_or(i32::MAX);
        self.state.1.notify_all();
        while state.held && number > state.answered {
            state = self.state.1.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        id
    }
}

/// The body of the next HTTP request on `reader` (by its `Content-Length`), or `None` when the
/// client closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}
