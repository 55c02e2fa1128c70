//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The repository root: the product's own workspace (crawl-configs/, mappings/, fixtures/).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The phe-migrate binary built for these tests.
pub fn phe_migrate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phe-migrate"))
}

/// The `href` and `src` values in a page (enough for the well-formed fixture pages).
pub fn links_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "href='", "src='"] {
        let quote = attr.chars().last().unwrap();
        for part in text.split(attr).skip(1) {
            if let Some(value) = part.split(quote).next() {
                out.push(value.to_owned());
            }
        }
    }
    out
}

/// A free TCP port on loopback (bound, then released for the server under test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// Which real web server runs a generated configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebServer {
    Nginx,
    Apache,
}

impl WebServer {
    /// The `report redirects --format` value for this server.
    pub fn format(self) -> &'static str {
        match self {
            WebServer::Nginx => "nginx",
            WebServer::Apache => "apache",
        }
    }

    /// The `--listen` value that makes the generated configuration answer on `port`.
    pub fn listen(self, port: u16) -> String {
        format!("127.0.0.1:{port}")
    }

    fn binary(self) -> &'static str {
        let (candidates, package): (&[&'static str], &str) = match self {
            WebServer::Nginx => (&["/usr/sbin/nginx", "nginx"], "nginx-light"),
            WebServer::Apache => (&["/usr/sbin/apache2", "apache2"], "apache2"),
        };
        candidates
            .iter()
            .copied()
            .find(|p| Command::new(p).arg("-v").output().is_ok())
            .unwrap_or_else(|| {
                panic!("{self:?} is not installed: `apt-get install {package}` (.ci/run does)")
            })
    }
}

/// A real nginx or Apache (Debian's packages; `.ci/run` installs them) running a main
/// configuration that includes a generated one, in a private folder. Stopped when dropped.
pub struct RunningServer {
    kind: WebServer,
    child: std::process::Child,
    conf: std::path::PathBuf,
    pub dir: tempfile::TempDir,
}

impl RunningServer {
    /// Writes the main configuration around `include`, checks it with the server's own
    /// syntax check (whose output is returned on failure) and starts the server.
    pub fn start(kind: WebServer, include: &std::path::Path, port: u16) -> Result<Self, String> {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let inc = include.display();
        let (name, text) = match kind {
            WebServer::Nginx => (
                "nginx.conf",
                format!(
                    "worker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
                     events {{ worker_connections 256; }}\n\
                     http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                     \x20 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                     \x20 include {inc};\n}}\n"
                ),
            ),
            WebServer::Apache => {
                let modules = "/usr/lib/apache2/modules";
                (
                    "apache2.conf",
                    format!(
                        "ServerRoot \"{d}\"\nPidFile {d}/apache.pid\nErrorLog {d}/error.log\nLogLevel warn\n\
                         Listen 127.0.0.1:{port}\nServerName localhost\n\
                         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
                         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
                         LoadModule rewrite_module {modules}/mod_rewrite.so\n\
                         LoadModule headers_module {modules}/mod_headers.so\n\
                         Include {inc}\n"
                    ),
                )
            }
        };
        let conf = dir.path().join(name);
        std::fs::write(&conf, text).unwrap();
        let binary = kind.binary();
        let (check, run): (Vec<std::ffi::OsString>, Vec<std::ffi::OsString>) = match kind {
            WebServer::Nginx => (
                vec![
                    "-t".into(),
                    "-p".into(),
                    dir.path().into(),
                    "-c".into(),
                    conf.clone().into(),
                ],
                vec![
                    "-p".into(),
                    dir.path().into(),
                    "-c".into(),
                    conf.clone().into(),
                    "-g".into(),
                    "daemon off;".into(),
                ],
            ),
            WebServer::Apache => (
                vec!["-t".into(), "-f".into(), conf.clone().into()],
                vec!["-f".into(), conf.clone().into(), "-DFOREGROUND".into()],
            ),
        };
        let test = Command::new(binary).args(&check).output().unwrap();
        if !test.status.success() {
            return Err(String::from_utf8_lossy(&test.stderr).into_owned());
        }
        let child = Command::new(binary).args(&run).spawn().unwrap();
        wait_for_port(port);
        Ok(RunningServer {
            kind,
            child,
            conf,
            dir,
        })
    }
}

impl Drop for RunningServer {
    /// Stops the main process and its workers (killing only the main process would leave
    /// workers behind).
    fn drop(&mut self) {
        let stop: Vec<std::ffi::OsString> = match self.kind {
            WebServer::Nginx => vec![
                "-p".into(),
                self.dir.path().into(),
                "-c".into(),
                self.conf.clone().into(),
                "-s".into(),
                "stop".into(),
            ],
            WebServer::Apache => vec![
                "-f".into(),
                self.conf.clone().into(),
                "-k".into(),
                "stop".into(),
            ],
        };
        let stopped = Command::new(self.kind.binary())
            .args(&stop)
            .output()
            .is_ok_and(|o| o.status.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs the demo into `out` (crawl and transform of the three demo sites).
pub fn run_demo(out: &std::path::Path) {
    let demo = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
}

/// The demo estate on a free loopback port.
pub fn demo_server() -> phe_migrate::fixtures::FixtureServer {
    use phe_migrate::fixtures::{Estate, FixtureServer, ServerOptions};
    let estate = Estate::load(&repo_root().join("fixtures/estate")).unwrap();
    FixtureServer::start(
        estate,
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap()
}

/// A copy of the product's workspace (crawl-configs/ and mappings/) to edit.
pub fn copy_workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    for dir in ["crawl-configs", "mappings"] {
        std::fs::create_dir_all(ws.path().join(dir)).unwrap();
        for file in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            let file = file.unwrap().path();
            if file.is_file() {
                std::fs::copy(&file, ws.path().join(dir).join(file.file_name().unwrap())).unwrap();
            }
        }
    }
    ws
}

/// A one-site estate in a temporary folder, served on loopback: `serve.yml` names `host`,
/// and each (path, bytes) in `files` is written under `www/`.
pub struct SiteServer {
    pub server: phe_migrate::fixtures::FixtureServer,
    _estate: tempfile::TempDir,
}

pub fn serve_site(host: &str, files: Vec<(String, Vec<u8>)>) -> SiteServer {
    serve_site_with(host, "", files)
}

/// [`serve_site`] with more of `serve.yml` (content types, headers, statuses).
pub fn serve_site_with(host: &str, more_yaml: &str, files: Vec<(String, Vec<u8>)>) -> SiteServer {
    use phe_migrate::fixtures::{Estate, FixtureServer, ServerOptions};
    let estate = tempfile::tempdir().unwrap();
    let site = estate.path().join("site");
    std::fs::create_dir_all(site.join("www")).unwrap();
    std::fs::write(
        site.join("serve.yml"),
        format!("hosts: [{host}]\nindex_files: [index.html]\n{more_yaml}"),
    )
    .unwrap();
    for (path, bytes) in files {
        let path = site.join("www").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let server = FixtureServer::start(
        Estate::load(estate.path()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    SiteServer {
        server,
        _estate: estate,
    }
}

/// Runs phe-migrate in `dir` with each argument list in turn; a run that fails fails the
/// test with its output.
pub fn run_each_ok(dir: &std::path::Path, runs: &[&[&str]]) {
    for args in runs {
        let run = phe_migrate().current_dir(dir).args(*args).output().unwrap();
        assert!(
            run.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// A workspace holding one site, `abbr`, on `host` (with `more` config lines, such as
/// `options: --query-string id\n`), and an empty mappings folder.
pub fn one_site_workspace(abbr: &str, host: &str, more: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("crawl-configs")).unwrap();
    std::fs::create_dir_all(ws.path().join("mappings")).unwrap();
    std::fs::write(
        ws.path().join(format!("crawl-configs/{abbr}.yml")),
        format!(
            "site: {abbr}\nwhitehall_slug: public-health-england\nhost: {host}\n\
             tna_timestamp: 20140101000000\n\
             homepage: https://www.gov.uk/government/organisations/public-health-england\n{more}"
        ),
    )
    .unwrap();
    ws
}
