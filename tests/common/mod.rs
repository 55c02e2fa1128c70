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

/// A real nginx (Debian's package; `.ci/run` installs it) running a configuration that
/// includes `include` inside `http {}`, in a private prefix. Stopped when dropped.
pub struct Nginx {
    child: std::process::Child,
    binary: &'static str,
    pub dir: tempfile::TempDir,
}

impl Nginx {
    /// Writes the main configuration around `include`, checks it with `nginx -t` (whose
    /// output is returned on failure) and starts nginx in the foreground.
    pub fn start(include: &std::path::Path, port: u16) -> Result<Nginx, String> {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let conf = format!(
            "worker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             \x20 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             \x20 include {};\n}}\n",
            include.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let nginx = ["/usr/sbin/nginx", "nginx"]
            .into_iter()
            .find(|p| Command::new(p).arg("-v").output().is_ok())
            .expect("nginx is not installed: `apt-get install nginx-light` (.ci/run does)");
        let conf_path = dir.path().join("nginx.conf");
        let test = Command::new(nginx)
            .arg("-t")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .output()
            .unwrap();
        if !test.status.success() {
            return Err(String::from_utf8_lossy(&test.stderr).into_owned());
        }
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .spawn()
            .unwrap();
        wait_for_port(port);
        Ok(Nginx {
            child,
            binary: nginx,
            dir,
        })
    }
}

impl Drop for Nginx {
    /// Stops master and workers (killing only the master would leave workers behind).
    fn drop(&mut self) {
        let stopped = Command::new(self.binary)
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(self.dir.path().join("nginx.conf"))
            .args(["-s", "stop"])
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
