//! Which addresses the server may call when a person gives it a URL (the digest's
//! webhook today, webhooks and automation later): the refused IP ranges, the hosts an
//! administrator allows anyway, and the check a URL gets when it is saved. Pure, so the
//! settings forms and the server's `outbound` client (which applies `refusal` to the
//! address it actually connects to) share one list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::Rule;

/// Why the server refuses to call an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unspecified,
    Loopback,
    /// RFC 1918, CGNAT (100.64/10), unique-local and site-local IPv6, local-use NAT64.
    Private,
    LinkLocal,
    /// A cloud provider's instance metadata service.
    Metadata,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    /// Set aside by the IETF (protocol assignments, 240/4, Teredo, discard-only, ...).
    Reserved,
}

const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// IPv4 ranges, first match wins (broadcast before 240/4).
const V4: &[([u8; 4], u32, Refusal)] = &[
    ([0, 0, 0, 0], 8, Refusal::Unspecified),
    ([10, 0, 0, 0], 8, Refusal::Private),
    ([100, 64, 0, 0], 10, Refusal::Private),
    ([127, 0, 0, 0], 8, Refusal::Loopback),
    ([169, 254, 0, 0], 16, Refusal::LinkLocal),
    ([172, 16, 0, 0], 12, Refusal::Private),
    ([192, 0, 0, 0], 24, Refusal::Reserved),
    ([192, 0, 2, 0], 24, Refusal::Documentation),
    ([192, 88, 99, 0], 24, Refusal::Reserved),
    ([192, 168, 0, 0], 16, Refusal::Private),
    ([198, 18, 0, 0], 15, Refusal::Benchmarking),
    ([198, 51, 100, 0], 24, Refusal::Documentation),
    ([203, 0, 113, 0], 24, Refusal::Documentation),
    ([224, 0, 0, 0], 4, Refusal::Multicast),
    ([255, 255, 255, 255], 32, Refusal::Broadcast),
    ([240, 0, 0, 0], 4, Refusal::Reserved),
];

/// IPv6 ranges after the loopback, unspecified and IPv4-carrying ones; first match wins.
const V6: &[([u16; 8], u32, Refusal)] = &[
    // IPv4-compatible (deprecated): nobody serves webhooks there.
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, Refusal::Reserved),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, Refusal::Private),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, Refusal::Reserved),
    ([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, Refusal::Benchmarking),
    (
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        Refusal::Documentation,
    ),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, Refusal::Reserved),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Refusal::Documentation),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, Refusal::Private),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, Refusal::LinkLocal),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, Refusal::Private),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Refusal::Multicast),
];

/// Why the server must not call `ip`, or `None` for a public address.
pub fn refusal(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(ip) => refusal_v4(ip),
        IpAddr::V6(ip) => refusal_v6(ip),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<Refusal> {
    if ip == METADATA_V4 {
        return Some(Refusal::Metadata);
    }
    let bits = u32::from(ip);
    V4.iter()
        .find(|(base, len, _)| bits >> (32 - len) == u32::from_be_bytes(*base) >> (32 - len))
        .map(|(_, _, refusal)| *refusal)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<Refusal> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    if ip == METADATA_V6 {
        return Some(Refusal::Metadata);
    }
    if ip.is_unspecified() {
        return Some(Refusal::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Refusal::Loopback);
    }
    let bits = u128::from(ip);
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if bits >> 32 == 0x64_ff9b_u128 << 64 {
        return refusal_v4(Ipv4Addr::from(bits as u32));
    }
    if segments[0] == 0x2002 {
        return refusal_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    V6.iter()
        .find(|(base, len, _)| {
            bits >> (128 - len) == u128::from(Ipv6Addr::from(*base)) >> (128 - len)
        })
        .map(|(_, _, refusal)| *refusal)
}

/// Hosts an administrator lets the server call although they are private (configured as
/// `outbound_allow_hosts`): names compared without case or a trailing dot, addresses as
/// addresses. Only the host written in the URL counts, not what a name resolves to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<String>,
    addresses: Vec<IpAddr>,
}

impl AllowedHosts {
    /// The hosts listed, blanks skipped; IPv6 addresses with or without brackets.
    pub fn new<S: AsRef<str>>(hosts: impl IntoIterator<Item = S>) -> AllowedHosts {
        let mut allowed = AllowedHosts::default();
        for host in hosts {
            let host = normal_name(host.as_ref());
            if host.is_empty() {
                continue;
            }
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            match bare.parse::<IpAddr>() {
                Ok(ip) => allowed.addresses.push(ip.to_canonical()),
                Err(_) => allowed.names.push(host),
            }
        }
        allowed
    }

    /// Whether the name `host` (as in a URL) is allowed.
    pub fn allows_name(&self, host: &str) -> bool {
        let host = normal_name(host);
        self.names.contains(&host)
    }

    /// Whether the address `ip` (written as such in a URL) is allowed.
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        self.addresses.contains(&ip.to_canonical())
    }
}

fn normal_name(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The host of an `http://` or `https://` URL as typed: a name, an IPv4 address, or an
/// IPv6 address without its brackets. `None` when there is none or the URL carries a
/// user name or password (`user@host`), which outbound calls never send.
pub fn url_host(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    // Browsers' URL parsing treats a backslash as a slash in http URLs.
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        None => authority.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then_some(host)
}

/// Checks the host of a URL a person saves for the server to call: `localhost` (and
/// names under it) and addresses in a refused range break `Rule::PrivateAddress` unless
/// allowed; a host URL parsers would read as an address in some other notation (`127.1`,
/// `0x7f.0.0.1`, percent-escapes) breaks `Rule::InvalidUrl`. Other names pass here: what
/// they resolve to is checked when the call is made.
pub fn check_url_host(host: &str, allowed: &AllowedHosts) -> Result<(), Rule> {
    if host.contains('%') {
        return Err(Rule::InvalidUrl);
    }
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => Some(ip),
        Err(_) if ends_in_number(host) => {
            let dotted = host.trim_end_matches('.');
            Some(IpAddr::V4(dotted.parse().map_err(|_| Rule::InvalidUrl)?))
        }
        Err(_) => None,
    };
    let refused = match ip {
        Some(ip) => refusal(ip).is_some() && !allowed.allows_address(ip),
        None => {
            let name = normal_name(host);
            (name == "localhost" || name.ends_with(".localhost")) && !allowed.allows_name(host)
        }
    };
    if refused {
        Err(Rule::PrivateAddress)
    } else {
        Ok(())
    }
}

/// Whether URL parsers take `host` for an IPv4 address: its last label is a decimal or
/// `0x` hexadecimal number.
fn ends_in_number(host: &str) -> bool {
    let last = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|digits| digits.chars().all(|c| c.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for (address, why) in [
            ("127.0.0.1", Refusal::Loopback),
            ("127.255.0.9", Refusal::Loopback),
            ("10.0.0.1", Refusal::Private),
            ("172.16.0.1", Refusal::Private),
            ("172.31.255.255", Refusal::Private),
            ("192.168.1.1", Refusal::Private),
            ("100.64.0.1", Refusal::Private),
            ("100.127.255.254", Refusal::Private),
            ("169.254.1.1", Refusal::LinkLocal),
            ("169.254.169.254", Refusal::Metadata),
            ("0.0.0.0", Refusal::Unspecified),
            ("0.1.2.3", Refusal::Unspecified),
            ("224.0.0.1", Refusal::Multicast),
            ("239.255.255.250", Refusal::Multicast),
            ("255.255.255.255", Refusal::Broadcast),
            ("240.0.0.1", Refusal::Reserved),
            ("192.0.0.170", Refusal::Reserved),
            ("192.0.2.10", Refusal::Documentation),
            ("198.51.100.7", Refusal::Documentation),
            ("203.0.113.5", Refusal::Documentation),
            ("198.18.0.1", Refusal::Benchmarking),
            ("198.19.255.255", Refusal::Benchmarking),
            ("::1", Refusal::Loopback),
            ("::", Refusal::Unspecified),
            ("fe80::1", Refusal::LinkLocal),
            ("febf::1", Refusal::LinkLocal),
            ("fc00::1", Refusal::Private),
            ("fd12:3456::1", Refusal::Private),
            ("fd00:ec2::254", Refusal::Metadata),
            ("fec0::1", Refusal::Private),
            ("ff02::1", Refusal::Multicast),
            ("2001:db8::1", Refusal::Documentation),
            ("3fff::1", Refusal::Documentation),
            ("2001:2::1", Refusal::Benchmarking),
            ("2001:0:4136:e378::1", Refusal::Reserved),
            ("100::1", Refusal::Reserved),
            ("::7f00:1", Refusal::Reserved),
            // IPv4 inside IPv6: mapped, NAT64 and 6to4 are judged by the IPv4 address.
            ("::ffff:127.0.0.1", Refusal::Loopback),
            ("::ffff:10.1.2.3", Refusal::Private),
            ("::ffff:169.254.169.254", Refusal::Metadata),
            ("64:ff9b::a00:1", Refusal::Private),
            ("64:ff9b:1::1", Refusal::Private),
            ("2002:7f00:1::", Refusal::Loopback),
        ] {
            assert_eq!(refusal(ip(address)), Some(why), "{address}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.255",
            "149.154.167.220",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860::1",
        ] {
            assert_eq!(refusal(ip(address)), None, "{address}");
        }
    }

    #[test]
    fn allowed_hosts_match_names_and_addresses() {
        let allowed = AllowedHosts::new([" Hooks.Internal ", "10.0.0.5", "[fd00::5]", ""]);
        assert!(allowed.allows_name("hooks.internal"));
        assert!(allowed.allows_name("HOOKS.internal."));
        assert!(!allowed.allows_name("other.internal"));
        assert!(allowed.allows_address(ip("10.0.0.5")));
        assert!(allowed.allows_address(ip("::ffff:10.0.0.5")));
        assert!(allowed.allows_address(ip("fd00::5")));
        assert!(!allowed.allows_address(ip("10.0.0.6")));
        assert!(!AllowedHosts::default().allows_name("localhost"));
    }

    #[test]
    fn the_host_of_a_url_is_found() {
        for (url, host) in [
            (
                "https://api.telegram.org/bot1:x/sendMessage",
                Some("api.telegram.org"),
            ),
            ("http://127.0.0.1:8080/hook", Some("127.0.0.1")),
            ("http://[::1]:80/", Some("::1")),
            ("HTTPS://Example.com?x=1", Some("Example.com")),
            ("http://user:pw@example.com/", None),
            ("http://example.com\\@127.0.0.1/", Some("example.com")),
            ("ftp://example.com/", None),
            ("http:///x", None),
            ("http://[::1/", None),
        ] {
            assert_eq!(url_host(url), host, "{url}");
        }
    }

    #[test]
    fn saved_hosts_in_the_private_network_are_refused_unless_allowed() {
        let none = AllowedHosts::default();
        for host in [
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "::1",
            "localhost",
            "LocalHost.",
            "api.localhost",
            "fd00:ec2::254",
            "::ffff:192.168.0.1",
        ] {
            assert_eq!(
                check_url_host(host, &none),
                Err(Rule::PrivateAddress),
                "{host}"
            );
        }
        for host in [
            "127.1",
            "2130706433",
            "0x7f.0.0.1",
            "010.0.0.1",
            "127.0.0.%31",
        ] {
            assert_eq!(check_url_host(host, &none), Err(Rule::InvalidUrl), "{host}");
        }
        for host in [
            "api.telegram.org",
            "8.8.8.8",
            "2606:4700::1111",
            "hooks.internal",
            "1.example",
        ] {
            assert_eq!(check_url_host(host, &none), Ok(()), "{host}");
        }
        let allowed = AllowedHosts::new(["127.0.0.1", "localhost"]);
        assert_eq!(check_url_host("127.0.0.1", &allowed), Ok(()));
        assert_eq!(check_url_host("localhost", &allowed), Ok(()));
        assert_eq!(
            check_url_host("10.0.0.1", &allowed),
            Err(Rule::PrivateAddress)
        );
    }
}
