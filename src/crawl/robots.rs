//! robots.txt, as RFC 9309 says to treat it: a missing file (4xx) allows everything; an
//! unreachable one (5xx, network failure) disallows everything until it can be read.

use std::time::Duration;

/// A host's robots.txt rules for our user agent.
pub enum Robots {
    /// Rules read from the file.
    Rules(Box<texting_robots::Robot>),
    /// No robots.txt (4xx): everything is allowed.
    AllowAll,
    /// robots.txt could not be fetched (5xx or network failure): nothing is allowed.
    DisallowAll,
}

impl Robots {
    /// Builds the rules from a robots.txt response.
    pub fn from_response(agent: &str, status: Option<u16>, body: &[u8]) -> Robots {
        match status {
            Some(200..=299) => match texting_robots::Robot::new(agent, body) {
                Ok(robot) => Robots::Rules(Box::new(robot)),
                // A file we cannot parse says nothing we can follow.
                Err(_) => Robots::AllowAll,
            },
            Some(400..=499) => Robots::AllowAll,
            _ => Robots::DisallowAll,
        }
    }

    pub fn allowed(&self, url: &str) -> bool {
        match self {
            Robots::Rules(robot) => robot.allowed(url),
            Robots::AllowAll => true,
            Robots::DisallowAll => false,
        }
    }

    /// The Crawl-delay, if the file sets one for us.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Robots::Rules(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(60.0))),
            _ => None,
        }
    }

    pub fn sitemaps(&self) -> Vec<String> {
        match self {
            Robots::Rules(robot) => robot.sitemaps.clone(),
            _ => Vec::new(),
        }
    }
}

/// The product token robots.txt groups are matched against: the User-Agent up to `/` or
/// a space (`phe-migrate/0.1 (...)` is `phe-migrate`).
pub fn agent_token(user_agent: &str) -> &str {
    user_agent
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_delay_and_sitemaps() {
        let txt = b"User-agent: *\nDisallow: /search.aspx\nCrawl-delay: 0.5\n\nUser-agent: phe-migrate\nDisallow: /private/\nCrawl-delay: 2\n\nSitemap: http://a.org/sitemap.xml\n";
        let robots = Robots::from_response("phe-migrate", Some(200), txt);
        assert!(!robots.allowed("http://a.org/private/x"));
        assert!(
            robots.allowed("http://a.org/search.aspx"),
            "our own group replaces *"
        );
        assert_eq!(robots.crawl_delay(), Some(Duration::from_secs(2)));
        assert_eq!(
            robots.sitemaps(),
            vec!["http://a.org/sitemap.xml".to_owned()]
        );
        let other = Robots::from_response("somebot", Some(200), txt);
        assert!(!other.allowed("http://a.org/search.aspx?q=1"));
    }

    #[test]
    fn missing_and_unreachable() {
        assert!(Robots::from_response("x", Some(404), b"").allowed("http://a.org/"));
        assert!(!Robots::from_response("x", Some(503), b"").allowed("http://a.org/"));
        assert!(!Robots::from_response("x", None, b"").allowed("http://a.org/"));
        // Garbage is not a reason to stop.
        assert!(Robots::from_response("x", Some(200), b"\xff\xfe<html>").allowed("http://a.org/"));
    }

    #[test]
    fn agent_tokens() {
        assert_eq!(agent_token("phe-migrate/0.1 (+https://x)"), "phe-migrate");
        assert_eq!(agent_token("Mozilla/5.0"), "Mozilla");
    }
}
