//! The address a request came from, for the per-address sign-in limit and the audit log.
//! Directly, it is the peer. Behind reverse proxies the operator trusts
//! (`STRATA_TRUSTED_PROXIES`), it is the nearest address in `X-Forwarded-For` that is not one
//! of them: each proxy appends the address it saw, so entries to the left of the last
//! untrusted one may be whatever a client wrote and are ignored.

use std::net::IpAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use super::Auth;

/// The address a request came from.
pub struct PeerAddress(pub String);

impl FromRequestParts<Auth> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        auth: &Auth,
    ) -> Result<PeerAddress, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(PeerAddress(client_address(
            peer,
            &forwarded,
            &auth.policy.trusted_proxies,
        )))
    }
}

/// The client's address: `peer`, or while the address at hand is a trusted proxy, the next
/// one to the left in `forwarded_for`.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: &str, trusted: &[IpNet]) -> String {
    let Some(mut client) = peer else {
        return "unknown".to_owned();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut hops = forwarded_for
        .rsplit(',')
        .map(str::trim)
        .filter(|hop| !hop.is_empty());
    while is_trusted(&client) {
        let Some(hop) = hops.next() else { break };
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip,
            // Not an address (a proxy that writes names, say): as far as one can tell.
            Err(_) => return hop.to_owned(),
        }
    }
    client.to_string()
}

/// Trusted proxies as written: addresses or networks, separated by commas.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("{item:?} is not an address or network (e.g. 10.0.0.5 or 10.0.0.0/8)")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(
            client_address(ip("203.0.113.7"), "6.6.6.6", &[]),
            "203.0.113.7"
        );
        assert_eq!(client_address(None, "6.6.6.6", &[]), "unknown");
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        // client → 10.1.1.1 (adds the client) → 192.168.1.1 (adds 10.1.1.1) → us.
        assert_eq!(
            client_address(ip("192.168.1.1"), "198.51.100.4, 10.1.1.1", &trusted),
            "198.51.100.4"
        );
        // What a client writes itself stays to the left of what the first proxy adds.
        assert_eq!(
            client_address(ip("10.0.0.2"), "6.6.6.6, 198.51.100.4", &trusted),
            "198.51.100.4"
        );
        // A peer that is not a trusted proxy is the client, header or not.
        assert_eq!(
            client_address(ip("198.51.100.9"), "6.6.6.6", &trusted),
            "198.51.100.9"
        );
        // Only proxies all the way: the leftmost is as far as one can tell.
        assert_eq!(
            client_address(ip("10.0.0.2"), "10.0.0.3", &trusted),
            "10.0.0.3"
        );
        assert_eq!(client_address(ip("10.0.0.2"), "", &trusted), "10.0.0.2");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert_eq!(parse_trusted_proxies("").unwrap(), vec![]);
        assert_eq!(parse_trusted_proxies("::1, 10.0.0.0/8").unwrap().len(), 2);
        let why = parse_trusted_proxies("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(why.contains("\"proxy.local\""), "{why}");
    }
}
