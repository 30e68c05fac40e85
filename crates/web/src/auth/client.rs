//! The real client behind the département's reverse proxies, and what is counted per client: failed
//! sign-ins (a sliding window) and starts of an OpenID Connect sign-in (governor).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::AppState;

/// The client's address. The peer of the connection, unless the peer is a trusted proxy: then the
/// right-most address of `X-Forwarded-For` (or, without it, of `Forwarded`) that is not a trusted
/// proxy — the addresses left of it were written by the client and prove nothing. `None` when the
/// server does not know the peer (tests that call the router directly).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers);
    let mut last = peer;
    for hop in chain.iter().rev() {
        // An entry the proxy could not write as an address (« unknown », obfuscated): stop at the
        // last hop we can name.
        let Some(ip) = hop else { return Some(last) };
        if !is_trusted(ip) {
            return Some(*ip);
        }
        last = *ip;
    }
    Some(last)
}

/// The addresses a proxy chain reported, left (first client) to right (last proxy).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let xff = values("x-forwarded-for");
    if !xff.is_empty() {
        return xff.iter().map(|v| parse_node(v)).collect();
    }
    values("forwarded")
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(v.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `203.0.113.5`, `203.0.113.5:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
        })
}

/// The client of a request, as a key for the per-client limits (`inconnue` when the peer is unknown).
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(
            client_ip(peer, &parts.headers, &state.settings.trusted_proxies)
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "inconnue".into()),
        ))
    }
}

/// Failed sign-ins per client within a window. Successful sign-ins are not counted, so a whole
/// service signing in at 9 o'clock is never held back; a client over the limit waits for its oldest
/// failure to leave the window. Kept in memory: each server counts its own clients.
pub struct FailureWindow {
    window: Duration,
    max: usize,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureWindow {
    pub fn new(window: Duration, max: u32) -> Self {
        Self {
            window,
            max: max as usize,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the client already made `max` failed attempts within the window.
    pub fn exceeded(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        match hits.get_mut(key) {
            Some(q) => {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    q.pop_front();
                }
                q.len() >= self.max
            }
            None => false,
        }
    }

    /// Counts a failed attempt of the client.
    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        // Forget clients whose failures are all old, so that the map stays small.
        if hits.len() > 10_000 {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= window));
        }
        let q = hits.entry(key.to_string()).or_default();
        q.push_back(now);
        while q.len() > self.max {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.5")]);
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &h, &trusted),
            Some(ip("203.0.113.9")),
            "an untrusted peer names itself whatever it writes"
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("203.0.113.5")),
            "the right-most untrusted address, not the one the client wrote first"
        );
        let h = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.5, 10.0.0.3")]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("203.0.113.5")),
            "trusted proxies of the chain are skipped"
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &HeaderMap::new(), &[]),
            Some(ip("10.0.0.2")),
            "no trusted proxy: the peer"
        );
        let h = headers(&[(
            "forwarded",
            "for=198.51.100.1, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("2001:db8::7"))
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.5, unknown")]);
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("10.0.0.2")),
            "an unreadable hop stops the walk at the proxy"
        );
    }

    #[test]
    fn only_failures_within_the_window_count_per_client() {
        let w = FailureWindow::new(Duration::from_secs(60), 2);
        w.record("a");
        assert!(!w.exceeded("a"));
        w.record("a");
        assert!(w.exceeded("a"));
        assert!(!w.exceeded("b"));
    }
}
