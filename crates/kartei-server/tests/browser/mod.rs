//! A small WebDriver client for end-to-end tests: starts Debian's chromedriver, opens
//! headless Chromium sessions and speaks the W3C WebDriver protocol over plain HTTP.
//! Blocking on purpose: the test drives the browser step by step while the server
//! under test runs on its own runtime.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A running chromedriver; stopped when dropped.
pub struct Driver {
    port: u16,
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One HTTP/1.1 request to chromedriver; returns the parsed JSON body.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(payload.as_bytes()))
        .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open despite `Connection: close`, so the body
    // is read by its length.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let header_end = loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..header_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .ok_or("no Content-Length")?;
    while raw.len() < header_end + length {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed early".into());
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&raw[header_end..header_end + length]).to_string();
    let value: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if head.starts_with("HTTP/1.1 2") {
        Ok(value["value"].clone())
    } else {
        Err(value["value"]["message"]
            .as_str()
            .unwrap_or(&body)
            .to_string())
    }
}

impl Driver {
    /// Starts chromedriver, or fails with what to install.
    pub fn start() -> Driver {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "Chromium and chromedriver are missing: run scripts/test, which installs the Debian packages chromium and chromium-driver"
        );
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let started = Instant::now();
        while request(port, "GET", "/status", None).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { port, child }
    }

    /// A new headless browser with an empty profile.
    pub fn browser(&self, profile: &Path) -> Browser {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                         "--window-size=1400,1000", "--lang=de-DE", "--disable-quic",
                         format!("--user-data-dir={}", profile.display())],
                "prefs": {"intl.accept_languages": "de-DE,de"}
            }
        }}});
        let created =
            request(self.port, "POST", "/session", Some(&caps)).expect("new browser session");
        Browser {
            port: self.port,
            session: created["sessionId"]
                .as_str()
                .expect("session id")
                .to_string(),
        }
    }
}

pub struct Browser {
    port: u16,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = request(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        request(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Sets the size of the page's viewport (headless, the window is the viewport).
    pub fn resize(&self, width: u32, height: u32) {
        self.must(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.must("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v[ELEMENT_KEY].as_str().map(|s| Element(s.to_string())))
    }

    /// Waits up to 10 s for an element.
    pub fn find(&self, css: &str) -> Element {
        self.wait_until(&format!("element {css}"), || self.try_find(css))
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.must(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v[ELEMENT_KEY].as_str().map(|s| Element(s.to_string())))
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn click(&self, el: &Element) {
        self.must("POST", &format!("/element/{}/click", el.0), Some(json!({})));
    }

    /// Clicks something that loads a new page, and waits until the new page is there.
    pub fn click_and_wait(&self, el: &Element) {
        self.exec("window.__kartei_old_page = true;", vec![]);
        self.click(el);
        self.wait_until("the next page", || {
            let v = self.call("POST", "/execute/sync", Some(json!({"script": "return !window.__kartei_old_page && document.readyState === 'complete';", "args": []}))).ok()?;
            v.as_bool().filter(|b| *b)
        });
    }

    pub fn type_into(&self, el: &Element, text: &str) {
        self.must(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        );
    }

    pub fn clear(&self, el: &Element) {
        self.must("POST", &format!("/element/{}/clear", el.0), Some(json!({})));
    }

    /// Replaces the value of the field `css`.
    pub fn fill(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.clear(&el);
        self.type_into(&el, text);
    }

    pub fn text(&self, el: &Element) -> String {
        self.must("GET", &format!("/element/{}/text", el.0), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The text of the element `css`, found again when the page was replaced meanwhile
    /// (a stale element reference after a navigation is not a failure of the page).
    pub fn text_of(&self, css: &str) -> String {
        self.wait_until(&format!("text of {css}"), || {
            let el = self.try_find(css)?;
            self.call("GET", &format!("/element/{}/text", el.0), None)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
        })
    }

    pub fn exec(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Sets a select's value as a person would, through its change event.
    pub fn choose(&self, el: &Element, value: &str) {
        self.exec(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!({ ELEMENT_KEY: el.0 }), json!(value)],
        );
    }

    /// Presses a key on the page (for the keyboard shortcuts).
    pub fn press(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]});
        self.must("POST", "/actions", Some(actions));
    }

    pub fn accept_alert(&self) {
        self.must("POST", "/alert/accept", Some(json!({})));
    }

    /// Polls `probe` until it gives a value (10 s at most).
    pub fn wait_until<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = probe() {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text of `css` contains `needle`.
    pub fn wait_for_text(&self, css: &str, needle: &str) {
        self.wait_until(&format!("{needle:?} in {css}"), || {
            self.try_find(css).filter(|el| {
                self.call("GET", &format!("/element/{}/text", el.0), None)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .is_some_and(|t| t.contains(needle))
            })
        });
    }

    /// Saves a PNG of the page under `dir`.
    pub fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        use base64::Engine;
        let data = self.must("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or(""))
            .expect("screenshot is base64");
        std::fs::create_dir_all(dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}
