//! A local SMTP server for tests: it accepts every message on 127.0.0.1 and keeps it, so that a test can
//! read what Parcours sent through a real SMTP conversation. Written in a few dozen lines on tokio
//! (greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) rather than pulling a
//! thread-based server crate for what the tests need.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the server received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Courriel {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (possibly quoted-printable).
    pub data: String,
}

/// The running server; stops when dropped.
pub struct SmtpSink {
    pub port: u16,
    recus: Arc<Mutex<Vec<Courriel>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port SMTP local");
        let port = listener.local_addr().expect("adresse locale").port();
        let recus: Arc<Mutex<Vec<Courriel>>> = Arc::default();
        let store = recus.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(socket, store).await;
                });
            }
        });
        SmtpSink { port, recus, task }
    }

    /// The messages received so far.
    pub fn recus(&self) -> Vec<Courriel> {
        self.recus.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A port where nothing listens (a server that is down).
pub async fn port_ferme() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("port libre");
    l.local_addr().expect("adresse").port()
}

async fn session(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Courriel>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 parcours-test ESMTP\r\n").await?;
    let mut mail = Courriel::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-parcours-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            mail = Courriel::default();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = address(&line[10..]);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&line[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 Fin par <CRLF>.<CRLF>\r\n").await?;
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                mail.data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
                mail.data.push('\n');
            }
            if let Ok(mut v) = store.lock() {
                v.push(std::mem::take(&mut mail));
            }
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Au revoir\r\n").await?;
            return Ok(());
        } else {
            b"502 Commande inconnue\r\n"
        };
        write.write_all(answer).await?;
    }
    Ok(())
}

fn address(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or("");
    s.trim_start_matches('<').trim_end_matches('>').to_string()
}
