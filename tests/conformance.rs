//! Every page type, as the people who see it see it, is valid HTML (the Nu
//! HTML Checker, `vnu.jar`) and accessible (axe-core in real Chromium, WCAG
//! 2.2 A and AA), with a working skip link, labelled fields and announced
//! errors.
//!
//! The checkers come from npm (`.ci/run` installs them under target/tools).
//! Where they, Java or Chromium are missing the tests say so loudly and
//! pass, unless NEWSDESK_TEST_REQUIRE_BROWSER=1 (CI), where they fail.

mod browser_support;
mod common;

use std::path::{Path, PathBuf};

use browser_support::{Chrome, SIZES, not_run, target_dir};
use common::{Backend, Browser, PASSWORD, TestApp, comment_id};
use diesel::connection::SimpleConnection;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use newsdesk::models::{Role, User};
use newsdesk::state::now;
use serde_json::{Value, json};

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

/// Who is looking at a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Visitor,
    Reader,
    Admin,
}

impl Who {
    fn username(self) -> Option<&'static str> {
        match self {
            Who::Visitor => None,
            Who::Reader => Some("reader_one"),
            Who::Admin => Some("chief"),
        }
    }
}

/// A form sent to get a page showing its errors: over HTTP the fields by
/// name, in the browser the fields by CSS selector and the button.
struct Form {
    action: String,
    fields: Vec<(&'static str, String)>,
    typed: Vec<(&'static str, String)>,
}

/// One page type to check.
struct Page {
    name: &'static str,
    who: Who,
    path: String,
    form: Option<Form>,
    /// The page shows errors, which must be announced.
    has_errors: bool,
}

fn page(name: &'static str, who: Who, path: impl Into<String>) -> Page {
    Page { name, who, path: path.into(), form: None, has_errors: false }
}

fn form_page(name: &'static str, who: Who, path: impl Into<String>, form: Form) -> Page {
    Page { name, who, path: path.into(), form: Some(form), has_errors: true }
}

/// A site with something on every page: comments in every state, a report,
/// a removal and a ban, and the accounts to see them.
struct Site {
    app: TestApp,
    pages: Vec<Page>,
}

fn make_user(app: &TestApp, username: &str, role: Role) {
    let hash = newsdesk::security::passwords::hash(PASSWORD).unwrap();
    User::create(&mut app.conn(), username, username, &hash, role, now()).unwrap().unwrap();
}

async fn site() -> Option<Site> {
    let app = TestApp::with_demo(Backend::Sqlite).await?;
    make_user(&app, "chief", Role::Admin);
    let chief = app.browser();
    assert_eq!(chief.login("chief", PASSWORD).await.status(), 303);
    let one = app.reader("reader_one").await;
    let two = app.reader("reader_two").await;
    let troll = app.reader("troll").await;

    let reported = comment_id(&two.comment(FLAGSHIP, "The council knew about the wall for years.").await);
    let report = format!("/comments/{reported}/report");
    let response = one.submit(&report, &report, &[("reason", "misinformation"), ("note", "Not true")]).await;
    assert!(response.status().is_success(), "report filed");
    let removed = comment_id(&troll.comment(FLAGSHIP, "Cheap watches at https://spam.example/watches").await);
    let remove = format!("/admin/comments/{removed}/remove");
    let response = chief.submit("/admin/queue/recent", &remove, &[("reason", "Spam")]).await;
    assert_eq!(response.status(), 303, "removal");
    let held = comment_id(&two.comment(FLAGSHIP, "Waiting for a moderator's look.").await);
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'held' WHERE id = {held}")).unwrap();
    let own = comment_id(&one.comment(FLAGSHIP, "My own words, still editable.\nOver two lines.").await);
    one.reply(FLAGSHIP, reported, "Source? https://example.com/council-minutes").await;
    // A new reply for reader one: the header's count and the replies page.
    chief.reply(FLAGSHIP, own, "Thanks, we will look into the minutes.").await;
    let reportable = comment_id(&two.comment(FLAGSHIP, "Another view on the ferries.").await);
    // Three marks of respect: the count for everyone, the pressed button for
    // reader one, and a reader pick above the discussion.
    let three = app.reader("reader_three").await;
    let respect = format!("/comments/{reportable}/respect");
    for marker in [&one, &chief, &three] {
        let token = marker.csrf(FLAGSHIP).await;
        assert_eq!(marker.post(&respect, &[("csrf_token", &token), ("respect", "give")]).await.status(), 303);
    }
    // Reader one mutes reader four: folded on their article page, listed on their account page.
    // (Made in the database: sign-ups from one network are limited.)
    make_user(&app, "reader_four", Role::Reader);
    let four = app.browser();
    assert_eq!(four.login("reader_four", PASSWORD).await.status(), 303);
    let muted = comment_id(&four.comment(FLAGSHIP, "Muted by reader one, so folded for them.").await);
    let mute = format!("/comments/{muted}/mute");
    assert_eq!(one.submit(&mute, &mute, &[]).await.status(), 303, "a mute");
    let pick = format!("/admin/comments/{reportable}/feature");
    assert_eq!(chief.submit("/admin/queue/recent", &pick, &[]).await.status(), 303, "an editor's pick");
    let ban = "/admin/users/troll/ban";
    let response = chief.submit("/admin/users/troll", ban, &[("reason", "Spam"), ("length", "7")]).await;
    assert_eq!(response.status(), 303, "ban");
    drop(troll);
    let premoderate = "/admin/users/reader_two/premoderate";
    let response =
        chief.submit("/admin/users/reader_two", premoderate, &[("premoderate", "start"), ("reason", "Heated")]).await;
    assert_eq!(response.status(), 303, "pre-moderation");
    // A story taken down: its address answers 410 with the site's page,
    // the public log and the admin list say so.
    let takedown = "/admin/articles/sea-wall-repairs-row/unpublish";
    assert_eq!(chief.submit("/admin/articles", takedown, &[]).await.status(), 303, "a takedown");
    // A Q&A story with a prompt: one question answered, one waiting.
    let qa = "/admin/articles/seagrass-returning-to-ommel-estuary/discussion";
    let fields = [("mode", "questions"), ("prompt", "Ask our science desk about the estuary.")];
    assert_eq!(chief.submit(qa, qa, &fields).await.status(), 303, "Q&A mode");
    let qa_story = "/articles/seagrass-returning-to-ommel-estuary";
    let asked = comment_id(&one.comment(qa_story, "How fast is the seagrass spreading?").await);
    one.comment(qa_story, "Will the jetty be rebuilt?").await;
    let answer = format!("/admin/questions/{asked}/answer");
    let response = chief.submit("/admin/questions", &answer, &[("body", "About a metre a month.")]).await;
    assert_eq!(response.status(), 303, "an answer");
    let leaver = app.reader("leaver").await;
    let response = leaver.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(response.status(), 303, "account deletion");

    // Mail: reader one has a confirmed address, and links to open.
    let (reset, confirm, unsubscribe) = {
        use newsdesk::models::email::{self, Purpose};
        let mut conn = app.conn();
        let id = User::by_username(&mut conn, "reader_one").unwrap().unwrap().id;
        let address = "reader.one@example.org";
        email::set_address(&mut conn, id, Some(address)).unwrap().unwrap();
        email::confirm_address(&mut conn, id, address, now()).unwrap();
        let reset = email::issue(&mut conn, id, Purpose::Reset, address, now()).unwrap();
        let confirm = email::issue(&mut conn, id, Purpose::Confirm, address, now()).unwrap();
        let key = &app.state.mail.letterhead.unsubscribe_key;
        let topic = newsdesk::mail::unsubscribe::Topic::Replies;
        (reset, confirm, newsdesk::mail::unsubscribe::token(key, id, topic))
    };
    let long = "word ".repeat(1000) + "!";
    let pages = vec![
        page("home", Who::Visitor, "/"),
        page("article-visitor", Who::Visitor, FLAGSHIP),
        page("article-most-respected", Who::Visitor, format!("{FLAGSHIP}?sort=respected")),
        page("section", Who::Visitor, "/sections/local"),
        page("author", Who::Visitor, "/authors/imogen-tarrant"),
        page("tag", Who::Visitor, "/tags/flooding"),
        page("search", Who::Visitor, "/search?q=harbour"),
        page("search-nothing", Who::Visitor, "/search?q=zzzqqq"),
        page("login", Who::Visitor, "/login"),
        form_page(
            "login-error",
            Who::Visitor,
            "/login",
            Form {
                action: "/login".into(),
                fields: vec![("username", "reader_one".into()), ("password", "not my password".into())],
                typed: vec![("#username", "reader_one".into()), ("#password", "not my password".into())],
            },
        ),
        page("signup", Who::Visitor, "/signup"),
        form_page(
            "signup-errors",
            Who::Visitor,
            "/signup",
            Form {
                action: "/signup".into(),
                fields: vec![
                    ("username", "x".into()),
                    ("display_name", String::new()),
                    ("password", "short".into()),
                    ("confirm", "other".into()),
                ],
                typed: vec![("#username", "x".into()), ("#password", "short".into()), ("#confirm", "other".into())],
            },
        ),
        page("forgot-password", Who::Visitor, "/password/forgot"),
        form_page(
            "forgot-password-error",
            Who::Visitor,
            "/password/forgot",
            Form {
                action: "/password/forgot".into(),
                fields: vec![("email", "not an address".into())],
                typed: vec![("#email", "not an address".into())],
            },
        ),
        page("reset-password", Who::Visitor, format!("/password/reset?token={reset}")),
        page("mail-link-unknown", Who::Visitor, "/password/reset?token=not-a-token"),
        page("confirm-email", Who::Visitor, format!("/email/confirm?token={confirm}")),
        page("unsubscribe", Who::Visitor, format!("/unsubscribe?token={unsubscribe}")),
        page("not-found", Who::Visitor, "/articles/no-such-story"),
        page("taken-down", Who::Visitor, "/articles/sea-wall-repairs-row"),
        page("article-correction", Who::Visitor, "/articles/fennick-bay-seafoods-to-create-85-jobs"),
        page("moderation", Who::Visitor, "/moderation"),
        page("article-qa", Who::Visitor, "/articles/seagrass-returning-to-ommel-estuary"),
        page("profile", Who::Visitor, "/readers/reader_two"),
        page("profile-nothing-shown", Who::Visitor, "/readers/troll"),
        page("account-deleted", Who::Visitor, "/account/deleted"),
        page("article-reader", Who::Reader, FLAGSHIP),
        form_page(
            "comment-error",
            Who::Reader,
            FLAGSHIP,
            Form {
                action: format!("{FLAGSHIP}/comments"),
                fields: vec![("body", long.clone())],
                typed: vec![("#comment-body", long)],
            },
        ),
        page("account", Who::Reader, "/account"),
        form_page(
            "account-errors",
            Who::Reader,
            "/account",
            Form {
                action: "/account/password".into(),
                fields: vec![("current", "wrong".into()), ("password", "a".into()), ("confirm", "b".into())],
                typed: vec![("#current", "wrong".into()), ("#password", "a".into()), ("#confirm", "b".into())],
            },
        ),
        form_page(
            "account-delete-error",
            Who::Reader,
            "/account",
            Form {
                action: "/account/delete".into(),
                fields: vec![("password", "wrong".into())],
                typed: vec![("#erase-password", "wrong".into())],
            },
        ),
        form_page(
            "account-email-error",
            Who::Reader,
            "/account",
            Form {
                action: "/account/email".into(),
                fields: vec![("email", "not an address".into())],
                typed: vec![("#email", "not an address".into())],
            },
        ),
        page("replies", Who::Reader, "/account/replies"),
        page("reply", Who::Reader, format!("/comments/{reported}/reply")),
        page("edit", Who::Reader, format!("/comments/{own}/edit")),
        page("delete", Who::Reader, format!("/comments/{own}/delete")),
        page("report", Who::Reader, format!("/comments/{reportable}/report")),
        page("mute", Who::Reader, format!("/comments/{reportable}/mute")),
        page("admin-dashboard", Who::Admin, "/admin"),
        page("admin-queue-reported", Who::Admin, "/admin/queue/reported"),
        page("admin-queue-held", Who::Admin, "/admin/queue/held"),
        page("admin-queue-recent", Who::Admin, "/admin/queue/recent"),
        page("admin-queue-removed", Who::Admin, "/admin/queue/removed"),
        page(
            "admin-context",
            Who::Admin,
            format!("/admin/comments/{reported}/context?back=%2Fadmin%2Fqueue%2Freported"),
        ),
        page("admin-users", Who::Admin, "/admin/users"),
        page("admin-user", Who::Admin, "/admin/users/reader_two"),
        page("admin-user-banned", Who::Admin, "/admin/users/troll"),
        page("admin-user-deleted", Who::Admin, "/admin/users/leaver"),
        page("admin-articles", Who::Admin, "/admin/articles"),
        page("admin-settings", Who::Admin, "/admin/settings"),
        page("admin-story", Who::Admin, "/admin/articles/seagrass-returning-to-ommel-estuary/discussion"),
        page("admin-questions", Who::Admin, "/admin/questions"),
        page("admin-log", Who::Admin, "/admin/log"),
    ];
    Some(Site { app, pages })
}

/// A checker's file from npm, or None (said loudly) where it is missing.
fn tool(env_var: &str, relative: &str) -> Option<PathBuf> {
    let path = std::env::var(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/node_modules").join(relative));
    if path.is_file() {
        Some(path)
    } else {
        not_run(&format!(
            "{} is missing (npm install --prefix target/tools --no-audit --no-fund vnu-jar axe-core)",
            path.display()
        ));
        None
    }
}

#[actix_web::test]
async fn every_page_type_is_valid_html() {
    let Some(vnu) = tool("NEWSDESK_VNU_JAR", "vnu-jar/build/dist/vnu.jar") else { return };
    if std::process::Command::new("java").arg("-version").output().is_err() {
        not_run("java is not installed, so the Nu HTML Checker cannot run");
        return;
    }
    let Some(site) = site().await else { return };
    let browsers = [
        (Who::Visitor, site.app.browser()),
        (Who::Reader, logged_in(&site.app, "reader_one").await),
        (Who::Admin, logged_in(&site.app, "chief").await),
    ];
    let dir = target_dir("conformance");
    // A page known to be broken, to prove the checker finds errors at all.
    let broken = dir.join("checker-self-test.html");
    std::fs::write(&broken, "<!DOCTYPE html><html lang=en><title>Broken</title><p><div>Misnested</span>").unwrap();
    let mut files = vec![broken];
    for page in &site.pages {
        let browser = &browsers.iter().find(|(who, _)| *who == page.who).unwrap().1;
        let (status, body) = match &page.form {
            None => browser.page(&page.path).await,
            Some(form) => {
                let fields: Vec<(&str, &str)> = form.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let response = browser.submit(&page.path, &form.action, &fields).await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        if page.form.is_some() {
            assert!(status >= 400, "{} is refused, not {status}", page.name);
        } else {
            let expected = match page.name {
                "not-found" => 404,
                // A mailed link whose token is unknown: the page says so.
                "mail-link-unknown" => 400,
                "taken-down" => 410,
                _ => 200,
            };
            assert_eq!(status, expected, "{} ({}) answers {status}", page.name, page.path);
        }
        assert!(body.contains("<main"), "{} is a whole page", page.name);
        let file = dir.join(format!("{}.html", page.name));
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }

    // One run of the checker for every page: it is slow to start.
    let output = std::process::Command::new("java")
        .arg("-jar")
        .arg(&vnu)
        .args(["--errors-only", "--format", "json"])
        .args(&files)
        .output()
        .expect("run vnu.jar");
    let report: Value = serde_json::from_slice(&output.stderr)
        .or_else(|_| serde_json::from_slice(&output.stdout))
        .unwrap_or_else(|e| panic!("vnu did not answer in JSON ({e}):\n{}", String::from_utf8_lossy(&output.stderr)));
    let messages = report["messages"].as_array().unwrap();
    let is_self_test = |m: &&Value| m["url"].as_str().is_some_and(|u| u.ends_with("checker-self-test.html"));
    assert!(messages.iter().any(|m| is_self_test(&m)), "the checker found nothing wrong with a broken page");
    let errors: Vec<String> = messages
        .iter()
        .filter(|m| m["type"] != json!("info") && !is_self_test(m))
        .map(|m| {
            let file = m["url"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
            format!(
                "{file}:{}: {} [{}]",
                m["lastLine"],
                m["message"].as_str().unwrap_or_default(),
                m["extract"].as_str().unwrap_or_default().trim()
            )
        })
        .collect();
    let pages = files.len() - 1;
    let _ = writeln_stderr(&format!("Nu HTML Checker: {pages} page types, {} errors", errors.len()));
    assert!(errors.is_empty(), "{} HTML errors in {pages} pages:\n{}", errors.len(), errors.join("\n"));
}

fn writeln_stderr(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{text}")
}

/// A reqwest browser logged in as `username`.
async fn logged_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    assert_eq!(browser.login(username, PASSWORD).await.status(), 303, "{username} logs in");
    browser
}

const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// Runs axe-core on the page in the browser: its violations, described.
async fn axe_violations(chrome: &Chrome, axe: &str) -> Vec<String> {
    chrome.execute(axe, vec![]).await.expect("axe loads");
    let run = "const done = arguments[arguments.length - 1];\
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\
        .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + '\\n      ' +\
          v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\n/g, ' ')).join('\\n      '))))\
        .catch(e => done(['axe failed: ' + e]))";
    let result = chrome.execute_async(run, vec![json!(AXE_TAGS)]).await.expect("axe runs");
    result.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

/// Keyboard and form checks axe does not make: returns what is wrong.
async fn keyboard_and_form_problems(chrome: &Chrome, page: &Page) -> Vec<String> {
    let mut problems = Vec::new();
    // The first Tab lands on a visible skip link; Enter moves to the content.
    chrome.js("window.scrollTo(0, 0)").await;
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: Key::Tab.into() })
        .then(KeyAction::Up { value: Key::Tab.into() });
    chrome.perform_actions(tab).await.expect("press Tab");
    let focused = chrome
        .js("const e = document.activeElement; const r = e.getBoundingClientRect(); const s = getComputedStyle(e);\
             return {skip: e.matches('a.skip-link[href=\"#main\"]'), html: e.outerHTML.slice(0, 100),\
               shown: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight,\
               ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}")
        .await;
    if focused["skip"] != json!(true) {
        problems.push(format!("the first Tab lands on {} rather than the skip link", focused["html"]));
    } else {
        if focused["shown"] != json!(true) {
            problems.push("the focused skip link is not visible".into());
        }
        if focused["ring"] != json!(true) {
            problems.push("the focused skip link has no visible focus outline".into());
        }
        let enter = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: Key::Enter.into() })
            .then(KeyAction::Up { value: Key::Enter.into() });
        chrome.perform_actions(enter).await.expect("press Enter");
        let landed = chrome.js("return document.activeElement.id").await;
        if landed != json!("main") {
            problems.push(format!("the skip link moves focus to {landed}, not #main"));
        }
    }
    // Every field has a label.
    let unlabelled = chrome
        .js("return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]\
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))\
             .map(e => e.outerHTML.slice(0, 120))")
        .await;
    for field in unlabelled.as_array().unwrap() {
        problems.push(format!("field without a label: {field}"));
    }
    // Errors are announced: an alert, or described by the field.
    let errors = chrome
        .js("const described = new Set([...document.querySelectorAll('[aria-describedby]')]\
               .flatMap(e => e.getAttribute('aria-describedby').split(/\\s+/)));\
             const invalid = new Set([...document.querySelectorAll('[aria-invalid=true][aria-describedby]')]\
               .flatMap(e => e.getAttribute('aria-describedby').split(/\\s+/)));\
             const all = [...document.querySelectorAll('.field-error, .notice-error')];\
             return {count: all.length,\
               silent: all.filter(e => !e.closest('[role=alert]') && !(e.id && described.has(e.id))).map(e => e.outerHTML.slice(0, 120)),\
               unmarked: all.filter(e => e.matches('.field-error') && !(e.id && invalid.has(e.id))).map(e => e.outerHTML.slice(0, 120))}")
        .await;
    if page.has_errors && errors["count"] == json!(0) {
        problems.push("the page was meant to show errors but shows none".into());
    }
    for error in errors["silent"].as_array().unwrap() {
        problems.push(format!("error neither an alert nor described by its field: {error}"));
    }
    for error in errors["unmarked"].as_array().unwrap() {
        problems.push(format!("field error whose field is not aria-invalid: {error}"));
    }
    problems
}

/// Opens the page as its viewer would, sending its form if it has one.
async fn open(chrome: &Chrome, page: &Page) {
    chrome.visit(&page.path).await;
    if let Some(form) = &page.form {
        for (css, value) in &form.typed {
            if value.len() > 200 {
                // Typing thousands of characters key by key is slow; the
                // browser tests type a long comment for real.
                let field = chrome.el(css).await;
                chrome.execute("arguments[0].value = arguments[1]", vec![json!(field), json!(value)]).await.unwrap();
            } else {
                chrome.type_into(css, value).await;
            }
        }
        let button = format!("form[action='{}'] button[type=submit]", form.action);
        chrome.click_and_wait(&button).await;
    }
}

#[actix_web::test]
async fn every_page_type_is_accessible() {
    let Some(axe_path) = tool("NEWSDESK_AXE_JS", "axe-core/axe.min.js") else { return };
    let axe = std::fs::read_to_string(axe_path).unwrap();
    let Some(site) = site().await else { return };
    let Some(chrome) = Chrome::start(&site.app.address).await else { return };
    // First prove axe finds problems: a picture without a text
    // alternative and a field without a label, added to a page.
    chrome.visit("/").await;
    chrome
        .js("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\"><input type=text>')")
        .await;
    let found = axe_violations(&chrome, &axe).await;
    for rule in ["image-alt", "label"] {
        assert!(found.iter().any(|v| v.starts_with(rule)), "axe did not report {rule}: {found:?}");
    }

    let mut failures = Vec::new();
    let (mut checked, mut violations) = (0, 0);
    let mut who = Who::Visitor;
    for page in &site.pages {
        if page.who != who {
            // Log in as the page's viewer through the login form.
            if who != Who::Visitor {
                chrome.log_out().await;
            }
            chrome.log_in(page.who.username().unwrap(), PASSWORD).await;
            who = page.who;
        }
        for (width, height) in SIZES {
            chrome.resize(width, height).await;
            open(&chrome, page).await;
            checked += 1;
            let found = axe_violations(&chrome, &axe).await;
            violations += found.len();
            for violation in found {
                failures.push(format!("{} at {width}px: {violation}", page.name));
            }
            if width == SIZES[1].0 {
                for problem in keyboard_and_form_problems(&chrome, page).await {
                    failures.push(format!("{}: {problem}", page.name));
                }
                // Readers whose system is dark get the dark colours: check
                // their contrast too.
                chrome.prefer_dark(true).await;
                checked += 1;
                let found = axe_violations(&chrome, &axe).await;
                violations += found.len();
                for violation in found {
                    failures.push(format!("{} at {width}px, dark: {violation}", page.name));
                }
                chrome.prefer_dark(false).await;
            }
        }
    }
    let _ = writeln_stderr(&format!(
        "axe-core: {} page types at {} sizes, light and dark ({checked} runs), {violations} violations",
        site.pages.len(),
        SIZES.len()
    ));
    assert!(failures.is_empty(), "{} accessibility problems:\n{}", failures.len(), failures.join("\n"));
}
