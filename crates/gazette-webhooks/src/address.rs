//! Which addresses the notifier may connect to: the SSRF guard's policy, applied to the address actually connected to.
//!
//! A subscriber chooses the URL, so a URL naming `localhost`, a private
//! network or a cloud metadata service would turn the notifier into a proxy
//! into the operator's network. The HTTP client must apply [`AddressPolicy::permits`]
//! to the socket address it is about to connect to (after DNS, in its
//! connector), not to a lookup made beforehand: a name can resolve to a
//! public address for the check and a private one for the connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// `GAZETTE_WEBHOOK_ALLOW_CIDRS` holds something that is not a list of CIDRs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "GAZETTE_WEBHOOK_ALLOW_CIDRS entry {entry:?} is not a CIDR such as 10.1.0.0/16 or fd00::/8"
)]
pub struct AllowListError {
    pub entry: String,
}

/// Refuses non-public addresses, except ranges the operator allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// Parses a comma-separated list of CIDRs (empty: allow nothing extra).
    pub fn with_allowed(list: &str) -> Result<Self, AllowListError> {
        let allowed = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry.parse::<IpNet>().map_err(|_| AllowListError {
                    entry: entry.to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    /// The allowed ranges as `GAZETTE_WEBHOOK_ALLOW_CIDRS` spells them.
    pub fn allowed(&self) -> String {
        self.allowed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether a connection to `address` may be made.
    pub fn permits(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.allowed.iter().any(|net| net.contains(&address)) || is_public(address)
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as the
/// IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_unspecified()
        || v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local() // 169.254/16, which holds the cloud metadata service
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking, 198.18/15
        || a >= 240) // reserved
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let segments = v6.segments();
    let first = segments[0];
    !(v6.is_unspecified()
        || v6.is_loopback()
        || v6.is_multicast()
        // IPv4-compatible `::a.b.c.d` (deprecated; some stacks still route it to IPv4)
        || segments[..6].iter().all(|s| *s == 0)
        || first == 0x2002 // 6to4, 2002::/16: an IPv4 address inside
        || (first == 0x2001 && segments[1] == 0) // Teredo, 2001::/32: an IPv4 address inside
        || (first & 0xffc0) == 0xfec0 // deprecated site-local, fec0::/10
        || (first == 0x0100 && segments[1..4].iter().all(|s| *s == 0)) // discard, 100::/64
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7 (AWS metadata is fd00:ec2::254)
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && v6.segments()[1] == 0xff9b)) // NAT64, reaches IPv4 behind it
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn loopback_private_link_local_and_metadata_are_refused() {
        let policy = AddressPolicy::default();
        for refused in [
            "127.0.0.1",
            "10.0.0.5",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "feff::1",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
        ] {
            assert!(!policy.permits(ip(refused)), "{refused} must be refused");
        }
        for allowed in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "100:0:0:1::1",
            "2001:4860:4860::8888",
        ] {
            assert!(policy.permits(ip(allowed)), "{allowed} must be allowed");
        }
    }

    #[test]
    fn an_operator_can_allow_ranges() {
        let policy = AddressPolicy::with_allowed(" 127.0.0.0/8, fd00::/8 ").unwrap();
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(policy.permits(ip("fd00:ec2::254")));
        assert!(!policy.permits(ip("10.0.0.1")));
        assert_eq!(
            AddressPolicy::with_allowed(""),
            Ok(AddressPolicy::default())
        );
        assert_eq!(
            AddressPolicy::with_allowed("10.0.0.0/8,localhost"),
            Err(AllowListError {
                entry: "localhost".to_owned()
            })
        );
    }
}
