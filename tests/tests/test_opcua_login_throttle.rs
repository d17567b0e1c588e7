//! The OPC UA host throttles failed log-ins (by user name, with `auth::Throttle`), over a
//! real OPC UA client (async-opcua's) on 127.0.0.1; another user logs in meanwhile.

mod opcua_support;

use std::time::{Duration, Instant};

use opcua_support::{user, Client, Host};
use sessions_core::auth::Throttle;
use sessions_core::ManualClock;

/// How long an honest client's log-in may take while a name is being guessed at.
const HONEST: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_log_ins_are_throttled_by_name_and_other_users_log_in() {
    let clock = ManualClock::new();
    let throttle = Throttle::builder()
        .clock(clock.clock())
        .max_failures(3)
        .backoff(Duration::from_secs(5), Duration::from_secs(60))
        .build();
    let host = Host::start("throttle", |builder| builder.login_throttle(throttle)).await;
    for guess in 0..3 {
        let refused = Client::connect(&host.url(), user("admin", &format!("guess-{guess}"))).await;
        assert!(refused.is_err(), "a wrong password is refused");
    }
    // Past the limit, even the right password is refused: no more guesses are checked.
    let throttled = Client::connect(&host.url(), user("admin", "admin-pw")).await;
    assert!(throttled.is_err(), "a throttled name is refused");

    // Another user is not held up.
    let started = Instant::now();
    let operator = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("another user logs in");
    let took = started.elapsed();
    assert!(
        took < HONEST,
        "an honest log-in took {took:?}, over {HONEST:?}"
    );

    // After the back-off, the right password is taken again.
    clock.advance(Duration::from_secs(5));
    let admin = Client::connect(&host.url(), user("admin", "admin-pw"))
        .await
        .expect("the back-off is over");
    host.wait_until("both clients have sessions", || {
        host.engine.active_count() == 2
    })
    .await;
    operator.session.disconnect().await.ok();
    admin.session.disconnect().await.ok();
}
