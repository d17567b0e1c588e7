//! `sessions_core::auth`: accounts from a TOML file, verified with Argon2id, throttled per
//! name and per peer, reloaded when the file changes; and the examples' `accounts` program
//! that makes entries, run as a user runs it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sessions_core::auth::{
    hash_password_with, AccountStore, Accounts, AccountsError, AccountsFile, AuthError, HashParams,
    Throttle,
};
use sessions_core::{ManualClock, User};

/// Cheap Argon2id parameters: tests only (the default is OWASP's).
fn fast() -> HashParams {
    HashParams::new(64, 1, 1).expect("valid parameters")
}

/// A folder of its own for one test, empty, under the target folder.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test_accounts-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// An accounts file at `dir/accounts.toml` with these users (name, password, roles).
fn accounts_file(dir: &Path, users: &[(&str, &str, &[&str])], params: HashParams) -> PathBuf {
    let path = dir.join("accounts.toml");
    for (name, password, roles) in users {
        let hash = hash_password_with(password, params).expect("hash");
        AccountsFile::add(&path, name, roles, &hash).expect("entry added");
    }
    path
}

fn manual_accounts(path: &Path, clock: &ManualClock) -> Accounts {
    Accounts::new(AccountsFile::load(path).expect("loads"))
        .with_throttle(Throttle::builder().clock(clock.clock()).build())
}

fn retry_after(answer: Result<User, AuthError>) -> Duration {
    match answer {
        Err(AuthError::Throttled { retry_after }) => retry_after,
        other => panic!("expected Throttled, got {other:?}"),
    }
}

#[test]
fn the_right_password_logs_in_with_the_roles_of_the_store() {
    let dir = scratch("right");
    let path = accounts_file(
        &dir,
        &[
            ("alice", "wonderland", &["admin", "operator"]),
            ("carol", "c", &[]),
        ],
        fast(),
    );
    let accounts = Accounts::load(&path).expect("loads");
    let alice = accounts
        .verify("alice", "wonderland", Some("192.0.2.7"))
        .expect("the right password");
    assert_eq!(alice.name(), "alice");
    assert_eq!(alice.roles().collect::<Vec<_>>(), ["admin", "operator"]);
    let carol = accounts.verify("carol", "c", None).expect("no roles");
    assert_eq!(carol.roles().len(), 0);
}

#[test]
fn a_wrong_password_is_invalid() {
    let dir = scratch("wrong");
    let path = accounts_file(&dir, &[("alice", "wonderland", &["admin"])], fast());
    let accounts = Accounts::load(&path).expect("loads");
    for wrong in ["Wonderland", "wonderland ", "", "wonder"] {
        assert!(
            matches!(
                accounts.verify("alice", wrong, None),
                Err(AuthError::Invalid)
            ),
            "{wrong:?}"
        );
    }
    // A name is matched exactly.
    assert!(matches!(
        accounts.verify("Alice", "wonderland", None),
        Err(AuthError::Invalid)
    ));
}

#[test]
fn an_unknown_user_gets_the_answer_and_the_time_of_a_wrong_password() {
    let dir = scratch("unknown");
    // About a millisecond a hash: the hash, not the noise around it, is what is timed.
    let params = HashParams::new(1024, 1, 1).expect("valid parameters");
    let path = accounts_file(&dir, &[("alice", "wonderland", &["admin"])], params);
    let accounts = Accounts::new(AccountsFile::load(&path).expect("loads"))
        .with_throttle(Throttle::builder().max_failures(10_000).build());

    let unknown = accounts.verify("mallory", "wonderland", None);
    let wrong = accounts.verify("alice", "guess", None);
    let (unknown, wrong) = (
        unknown.expect_err("unknown"),
        wrong.expect_err("wrong password"),
    );
    assert!(matches!(unknown, AuthError::Invalid) && matches!(wrong, AuthError::Invalid));
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert_eq!(unknown.to_string(), "wrong user name or password");

    // Interleaved, so that a change of the machine's load touches both alike. A leak (no
    // hash for an unknown name) is a ratio near 0, in every round; a busy machine (the
    // whole workspace's tests at once) can spoil one round of 40, so up to 3 are run and
    // one within 20% passes.
    const TRIES: usize = 40;
    let mut rounds = Vec::new();
    for round in 0..3 {
        let (mut unknown_times, mut wrong_times) = (Vec::new(), Vec::new());
        for i in 0..TRIES {
            let time = |name: &str| {
                let start = Instant::now();
                let answer = accounts.verify(name, &format!("guess{i}"), Some("192.0.2.7"));
                let elapsed = start.elapsed();
                assert!(matches!(answer, Err(AuthError::Invalid)));
                elapsed
            };
            unknown_times.push(time(&format!("nobody{round}-{i}")));
            wrong_times.push(time("alice"));
        }
        let median = |times: &mut Vec<Duration>| {
            times.sort();
            times[times.len() / 2]
        };
        let (unknown, wrong) = (median(&mut unknown_times), median(&mut wrong_times));
        let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
        println!(
            "round {round}, medians over {TRIES} tries: unknown user {unknown:?}, \
             wrong password {wrong:?}, ratio {ratio:.3}"
        );
        rounds.push(ratio);
        if (0.8..=1.2).contains(&ratio) {
            return;
        }
    }
    panic!("unknown user / wrong password median time ratios {rounds:?}: none within 20%");
}

#[test]
fn five_failures_throttle_the_name_with_a_growing_backoff() {
    let dir = scratch("throttle");
    let path = accounts_file(&dir, &[("alice", "wonderland", &[])], fast());
    let clock = ManualClock::new();
    let accounts = manual_accounts(&path, &clock);
    for _ in 0..5 {
        assert!(matches!(
            accounts.verify("alice", "guess", None),
            Err(AuthError::Invalid)
        ));
    }
    // Refused without a check: even the right password.
    assert_eq!(
        retry_after(accounts.verify("alice", "wonderland", None)),
        Duration::from_secs(5)
    );
    let error = accounts
        .verify("alice", "wonderland", None)
        .expect_err("throttled");
    assert_eq!(
        error.to_string(),
        "too many failed log-in attempts: try again in 5 s"
    );

    let mut backoffs = Vec::new();
    for _ in 0..3 {
        clock.advance(retry_after(accounts.verify("alice", "guess", None)));
        assert!(matches!(
            accounts.verify("alice", "guess", None),
            Err(AuthError::Invalid)
        ));
        backoffs.push(retry_after(accounts.verify("alice", "guess", None)));
    }
    assert_eq!(backoffs, [10, 20, 40].map(Duration::from_secs));

    clock.advance(Duration::from_secs(40));
    accounts
        .verify("alice", "wonderland", None)
        .expect("after the back-off, the right password");
    // A success forgives the name: four failures again before a back-off.
    for _ in 0..4 {
        assert!(matches!(
            accounts.verify("alice", "guess", None),
            Err(AuthError::Invalid)
        ));
    }
    accounts
        .verify("alice", "wonderland", None)
        .expect("not throttled");
}

#[test]
fn log_ins_run_off_the_runtime_so_its_other_tasks_go_on() {
    let dir = scratch("async");
    // The default (OWASP) parameters: tens of milliseconds a check.
    let path = accounts_file(
        &dir,
        &[("alice", "wonderland", &["admin"])],
        HashParams::OWASP,
    );
    let accounts = Accounts::load(&path).expect("loads");
    // One thread: a check run on it would hold up every other task until it ended.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let done = std::sync::Arc::new(AtomicUsize::new(0));
        let logins: Vec<_> = (0..10)
            .map(|i| {
                let (accounts, done) = (accounts.clone(), std::sync::Arc::clone(&done));
                tokio::spawn(async move {
                    // Three wrong: under the limit of failures, whatever the order.
                    let password = if i % 3 == 1 { "guess" } else { "wonderland" };
                    let peer = Some(format!("192.0.2.{i}"));
                    let answer = accounts
                        .verify_async("alice".into(), password.into(), peer)
                        .await;
                    done.fetch_add(1, Ordering::SeqCst);
                    (i, answer)
                })
            })
            .collect();
        // The log-ins start and wait on the blocking pool; this task runs meanwhile.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert!(
            done.load(Ordering::SeqCst) < 10,
            "this task ran while log-ins were being checked"
        );
        for login in logins {
            let (i, answer) = login.await.expect("the task ends");
            match answer {
                Ok(user) => assert!(i % 3 != 1 && user.has_role("admin"), "{i}"),
                Err(error) => assert!(i % 3 == 1 && matches!(error, AuthError::Invalid), "{i}"),
            }
        }
    });
}

#[test]
fn one_peer_is_throttled_across_names_and_other_peers_are_not() {
    let dir = scratch("peer");
    let path = accounts_file(&dir, &[("alice", "wonderland", &[])], fast());
    let clock = ManualClock::new();
    let accounts = manual_accounts(&path, &clock);
    for name in ["a", "b", "c", "d", "e"] {
        assert!(matches!(
            accounts.verify(name, "guess", Some("203.0.113.9")),
            Err(AuthError::Invalid)
        ));
    }
    assert_eq!(
        retry_after(accounts.verify("alice", "wonderland", Some("203.0.113.9"))),
        Duration::from_secs(5)
    );
    accounts
        .verify("alice", "wonderland", Some("203.0.113.10"))
        .expect("another peer");
    clock.advance(Duration::from_secs(5));
    accounts
        .verify("alice", "wonderland", Some("203.0.113.9"))
        .expect("after the back-off");
}

#[test]
fn a_store_of_the_applications_own_is_throttled_alike() {
    /// Users kept elsewhere: here, one user whose password is "pw"; counts its checks.
    struct Directory(AtomicUsize);
    impl AccountStore for Directory {
        fn check(&self, name: &str, password: &str) -> Result<User, AuthError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            match (name, password) {
                ("dave", "pw") => Ok(User::new("dave").with_roles(["operator"])),
                ("down", _) => Err(AuthError::Unavailable {
                    source: "directory server not answering".into(),
                }),
                _ => Err(AuthError::Invalid),
            }
        }
    }
    let clock = ManualClock::new();
    let store = std::sync::Arc::new(Directory(AtomicUsize::new(0)));
    let accounts = Accounts::new(std::sync::Arc::clone(&store))
        .with_throttle(Throttle::builder().clock(clock.clock()).build());
    assert!(accounts
        .verify("dave", "pw", None)
        .expect("in")
        .has_role("operator"));
    // The store's own failures are not the client's: they are not counted.
    for _ in 0..10 {
        assert!(matches!(
            accounts.verify("down", "x", Some("p")),
            Err(AuthError::Unavailable { .. })
        ));
    }
    for _ in 0..5 {
        let _ = accounts.verify("dave", "guess", Some("p"));
    }
    let checks = store.0.load(Ordering::SeqCst);
    assert!(matches!(
        accounts.verify("dave", "pw", Some("q")),
        Err(AuthError::Throttled { .. })
    ));
    assert_eq!(
        store.0.load(Ordering::SeqCst),
        checks,
        "refused without a check"
    );
    // The default reload of a store that has none does nothing.
    accounts.reload().expect("nothing to reload");
    assert!(!accounts.reload_if_changed().expect("nothing to reload"));
}

#[test]
fn a_changed_file_is_reloaded_and_a_broken_one_keeps_the_users_before() {
    let dir = scratch("reload");
    let path = accounts_file(&dir, &[("alice", "one", &["operator"])], fast());
    let accounts = Accounts::load(&path).expect("loads");
    assert!(!accounts.reload_if_changed().expect("stat"), "unchanged");

    let hash = hash_password_with("two", fast()).expect("hash");
    AccountsFile::add(&path, "bob", &["admin"], &hash).expect("added");
    assert!(matches!(
        accounts.verify("bob", "two", None),
        Err(AuthError::Invalid)
    ));
    assert!(accounts.reload_if_changed().expect("reloads"), "changed");
    assert!(accounts
        .verify("bob", "two", None)
        .expect("bob")
        .has_role("admin"));
    assert!(!accounts.reload_if_changed().expect("stat"), "read already");

    // A broken file: the error names the line, and the users before stay.
    let text = fs::read_to_string(&path).expect("read");
    fs::write(
        &path,
        format!("{text}\n[[user]]\nname = \"eve\"\npassword_hash = \n"),
    )
    .expect("write");
    let lines = text.lines().count();
    match accounts.reload_if_changed() {
        Err(AccountsError::Toml { line, .. }) => assert_eq!(line, lines + 4),
        other => panic!("expected a TOML error, got {other:?}"),
    }
    accounts.verify("alice", "one", None).expect("alice stays");
    accounts.verify("bob", "two", None).expect("bob stays");

    // Roles changed in the file change the user at the next reload.
    fs::write(
        &path,
        text.replace("roles = [\"admin\"]", "roles = [\"viewer\"]"),
    )
    .expect("write");
    accounts.reload().expect("reloads");
    let bob = accounts.verify("bob", "two", None).expect("bob");
    assert_eq!(bob.roles().collect::<Vec<_>>(), ["viewer"]);

    // A removed user cannot log in after a reload.
    fs::write(&path, "").expect("write");
    accounts.reload().expect("an empty file has no users");
    assert!(matches!(
        accounts.verify("alice", "one", None),
        Err(AuthError::Invalid)
    ));

    fs::remove_file(&path).expect("remove");
    assert!(matches!(accounts.reload(), Err(AccountsError::Io { .. })));
}

/// The error of loading `text` as an accounts file.
fn load_error(dir: &Path, text: &str) -> AccountsError {
    let path = dir.join("broken.toml");
    fs::write(&path, text).expect("write");
    AccountsFile::load(&path).expect_err("refused")
}

#[test]
fn errors_of_the_file_name_the_line() {
    let dir = scratch("errors");
    let hash = hash_password_with("x", fast()).expect("hash");
    let entry = |name: &str| format!("[[user]]\nname = \"{name}\"\npassword_hash = \"{hash}\"\n");

    // Not TOML.
    let error = load_error(&dir, &format!("{}\n[[user]\nname = \"b\"\n", entry("a")));
    assert!(
        matches!(error, AccountsError::Toml { line: 5, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("broken.toml, line 5, column"),
        "{error}"
    );

    // A plain-text password is an unknown key, not ignored.
    let error = load_error(&dir, "[[user]]\nname = \"a\"\npassword = \"secret\"\n");
    assert!(
        matches!(error, AccountsError::Toml { line: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("password"), "{error}");

    // The wrong type.
    let error = load_error(&dir, &format!("{}roles = \"admin\"\n", entry("a")));
    assert!(
        matches!(error, AccountsError::Toml { line: 4, .. }),
        "{error:?}"
    );

    // A missing key.
    let error = load_error(&dir, "\n\n[[user]]\nname = \"a\"\n");
    assert!(
        matches!(error, AccountsError::Toml { line: 3 | 4, .. }),
        "{error:?}"
    );

    // The same name twice: both lines.
    let error = load_error(
        &dir,
        &format!("# users\n{}\n{}\n{}", entry("a"), entry("b"), entry("a")),
    );
    match &error {
        AccountsError::Duplicate {
            name,
            first_line,
            line,
            ..
        } => assert_eq!((name.as_str(), *first_line, *line), ("a", 2, 10)),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(
        error.to_string().contains("on line 2 and on line 10"),
        "{error}"
    );

    // A hash that is not Argon2id, and an empty role.
    let error = load_error(
        &dir,
        &format!(
            "{}\n[[user]]\nname = \"b\"\npassword_hash = \"plain\"\n",
            entry("a")
        ),
    );
    assert!(
        matches!(&error, AccountsError::Entry { line: 5, name, .. } if name == "b"),
        "{error:?}"
    );
    let error = load_error(&dir, &format!("{}roles = [\"\"]\n", entry("a")));
    assert!(
        matches!(error, AccountsError::Entry { line: 1, .. }),
        "{error:?}"
    );

    // A missing file.
    let error = AccountsFile::load(dir.join("missing.toml")).expect_err("refused");
    assert!(matches!(error, AccountsError::Io { .. }), "{error:?}");
}

#[test]
fn adding_an_entry_refuses_a_duplicate_and_keeps_the_file_as_it_was() {
    let dir = scratch("add");
    let path = dir.join("accounts.toml");
    fs::write(&path, "# our users\n").expect("write");
    let hash = hash_password_with("x", fast()).expect("hash");
    AccountsFile::add(&path, "alice", &["admin"], &hash).expect("added");
    let before = fs::read_to_string(&path).expect("read");
    assert!(before.starts_with("# our users\n"), "{before}");
    let error = AccountsFile::add(&path, "alice", &[], &hash).expect_err("duplicate");
    assert!(
        matches!(&error, AccountsError::Exists { name, line: 3, .. } if name == "alice"),
        "{error:?}"
    );
    let error = AccountsFile::add(&path, "bob", &[], "not a hash").expect_err("bad hash");
    assert!(matches!(error, AccountsError::BadHash { .. }), "{error:?}");
    let error = AccountsFile::add(&path, " bob", &[], &hash).expect_err("bad name");
    assert!(matches!(error, AccountsError::BadName { .. }), "{error:?}");
    assert_eq!(fs::read_to_string(&path).expect("read"), before);
    // Removing an entry keeps the others and the comments before it.
    AccountsFile::add(&path, "bob", &[], &hash).expect("added");
    AccountsFile::add(&path, "carol", &["x"], &hash).expect("added");
    AccountsFile::remove(&path, "bob").expect("removed");
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.starts_with(&before), "{text}");
    let names: Vec<String> = AccountsFile::load(&path)
        .expect("loads")
        .users()
        .iter()
        .map(|user| user.name().to_owned())
        .collect();
    assert_eq!(names, ["alice", "carol"]);
    let error = AccountsFile::remove(&path, "bob").expect_err("gone");
    assert!(
        matches!(error, AccountsError::NoSuchUser { .. }),
        "{error:?}"
    );
    AccountsFile::remove(&path, "carol").expect("removed");
    assert_eq!(
        fs::read_to_string(&path).expect("read").trim_end(),
        before.trim_end()
    );

    // Names with quotes and backslashes are written so that they read back.
    AccountsFile::add(&path, "o\"brien\\x", &["a b"], &hash).expect("added");
    let users = AccountsFile::load(&path).expect("loads").users();
    assert_eq!(users[1].name(), "o\"brien\\x");
    assert!(users[1].has_role("a b"));
}

/// `accounts ARGS` with `stdin`, as a user runs it.
fn accounts_program(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "sessions-examples",
            "--bin",
            "accounts",
            "--",
        ])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("password written");
    child.wait_with_output().expect("accounts ends")
}

#[test]
fn the_accounts_program_adds_a_user_that_the_library_then_verifies() {
    let dir = scratch("program");
    let path = dir.join("new").with_extension("toml");
    let file = path.to_str().expect("UTF-8 path");
    let output = accounts_program(
        &["add", "--file", file, "dora", "--roles", "admin,operator"],
        "explorer\n",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("added dora"),
        "{output:?}"
    );
    let text = fs::read_to_string(&path).expect("the file was made");
    assert!(
        text.contains("$argon2id$v=19$m=19456,t=2,p=1$"),
        "OWASP parameters: {text}"
    );
    assert!(!text.contains("explorer"), "no plain-text password: {text}");

    let accounts = Accounts::load(&path).expect("loads");
    let dora = accounts
        .verify("dora", "explorer", None)
        .expect("the password from stdin");
    assert!(dora.has_role("admin") && dora.has_role("operator"));
    assert!(matches!(
        accounts.verify("dora", "explorer\n", None),
        Err(AuthError::Invalid)
    ));

    // The same name again: refused, with a message, and the file unchanged.
    let output = accounts_program(&["add", "--file", file, "dora"], "other\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("user `dora` exists already"), "{stderr}");
    assert_eq!(fs::read_to_string(&path).expect("read"), text);

    // No password: refused.
    let output = accounts_program(&["add", "--file", file, "eve"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("password"));

    let output = accounts_program(&["list", "--file", file], "");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "dora\tadmin,operator\n"
    );

    // Removed: the others stay, and dora cannot log in after a reload.
    let output = accounts_program(&["add", "--file", file, "eric"], "e\n");
    assert!(output.status.success());
    let output = accounts_program(&["remove", "--file", file, "dora"], "");
    assert!(output.status.success(), "{output:?}");
    accounts.reload().expect("reloads");
    assert!(matches!(
        accounts.verify("dora", "explorer", None),
        Err(AuthError::Invalid)
    ));
    accounts.verify("eric", "e", None).expect("eric stays");
    let output = accounts_program(&["remove", "--file", file, "dora"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user `dora`"));

    let output = accounts_program(&["add", "dora"], "");
    assert_eq!(output.status.code(), Some(2), "usage");
}

#[test]
fn the_demo_file_has_the_users_and_passwords_its_comment_names() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/demo-accounts.toml"
    ));
    let text = fs::read_to_string(path).expect("the demo file");
    let accounts = Accounts::load(path).expect("loads");
    for (name, password, roles) in [
        ("alice", "alice-demo", &["admin", "operator"][..]),
        ("bob", "bob-demo", &["operator"]),
        ("carol", "carol-demo", &[]),
    ] {
        assert!(text.contains(&format!("password \"{password}\"")), "{name}");
        let user = accounts
            .verify(name, password, None)
            .expect("the demo password");
        assert_eq!(user.roles().collect::<Vec<_>>(), roles, "{name}");
    }
}
