#include "api/authenticator.h"

#include <gtest/gtest.h>

#include "api/cookies.h"
#include "api/login_limiter.h"
#include "api/passwords.h"
#include "api/tokens.h"

namespace corral::api {
namespace {

using namespace std::chrono_literals;

// Runs the control thread's work inline on the caller's thread; a commit is a real Flush.
class InlineControl final : public ControlPort {
 public:
  explicit InlineControl(store::Store& store) : store_(store) {}
  void Post(std::function<void()> fn) override { fn(); }
  void AfterCommit(std::function<void(Status)> fn) override { fn(store_.Flush()); }

 private:
  store::Store& store_;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenSqliteStore(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    control_ = std::make_unique<InlineControl>(*store_);
    auth_ = std::make_unique<Authenticator>(*control_, *store_, clock_);
    auto alice = store_->CreateUser("alice", Role::kUser, clock_.Now());
    ASSERT_TRUE(alice.ok());
    alice_ = *alice;
    token_ = NewToken();
    auto id = store_->AddToken(alice_.id, HashToken(token_), "t", clock_.Now());
    ASSERT_TRUE(id.ok());
    token_id_ = *id;
    ASSERT_TRUE(store_->Flush().ok());
  }

  HttpRequest Request(std::string method, std::string path = "/api/v1/jobs") {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.headers["host"] = "corral.example:8080";
    return r;
  }
  HttpRequest WithBearer(HttpRequest r, const std::string& token) {
    r.headers["authorization"] = "Bearer " + token;
    return r;
  }
  HttpRequest WithCookie(HttpRequest r, const std::string& cookie) {
    r.headers["cookie"] = "theme=dark; " + std::string(kSessionCookieName) + "=" + cookie;
    return r;
  }
  StartedSession Login() {
    auto s = auth_->StartSession(jobs::Caller{alice_.id, alice_.name, alice_.role});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : StartedSession{};
  }
  std::optional<Session> Stored(const std::string& cookie) {
    auto s = store_->FindSession(HashToken(cookie));
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : std::nullopt;
  }

  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<InlineControl> control_;
  std::unique_ptr<Authenticator> auth_;
  User alice_;
  std::string token_;
  int64_t token_id_ = 0;
};

TEST_F(AuthenticatorTest, BearerTokenNamesItsOwner) {
  auto identity = auth_->Identify(WithBearer(Request("POST"), token_));
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->caller.name, "alice");
  EXPECT_EQ(identity->method, AuthMethod::kToken);
}

TEST_F(AuthenticatorTest, MissingWrongAndMalformedCredentialsAreUnauthenticated) {
  EXPECT_EQ(auth_->Authenticate(Request("GET")).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(WithBearer(Request("GET"), "corral_nope")).status().code(),
            StatusCode::kUnauthenticated);
  HttpRequest basic = Request("GET");
  basic.headers["authorization"] = "Basic YWxpY2U6cHc=";
  EXPECT_EQ(auth_->Authenticate(basic).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, RevokedTokenStopsOnceForgotten) {
  ASSERT_TRUE(auth_->Authenticate(WithBearer(Request("GET"), token_)).ok());
  ASSERT_TRUE(store_->DeleteToken(token_id_).ok());
  auth_->ForgetTokens();
  EXPECT_EQ(auth_->Authenticate(WithBearer(Request("GET"), token_)).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, RevokingATokenEndsTheSessionsMadeFromItAtOnce) {
  const jobs::Caller alice{alice_.id, alice_.name, alice_.role};
  auto from_token = auth_->StartSession(alice, token_id_);
  ASSERT_TRUE(from_token.ok()) << from_token.status().ToString();
  const StartedSession password = Login();
  // Both are in the cache now.
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), from_token->cookie_value)).ok());
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), password.cookie_value)).ok());
  EXPECT_EQ(Stored(from_token->cookie_value)->token_id, token_id_);

  ASSERT_TRUE(store_->DeleteToken(token_id_).ok());
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_FALSE(Stored(from_token->cookie_value));
  auth_->ForgetTokenSessions(token_id_);
  EXPECT_EQ(
      auth_->Authenticate(WithCookie(Request("GET"), from_token->cookie_value)).status().code(),
      StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), password.cookie_value)).ok());
  // A session cannot be made from a token that is gone.
  EXPECT_EQ(auth_->StartSession(alice, token_id_).status().code(), StatusCode::kNotFound);
}

TEST_F(AuthenticatorTest, TrialTokenOnlyOnItsOwnMetricsRoute) {
  const std::string key = NewTrialKey();
  auth_->SetTrialKey(key);
  const std::string trial = TrialToken(key, {alice_.id, 3, 7});
  auto ok =
      auth_->Identify(WithBearer(Request("POST", "/api/v1/experiments/3/trials/7/metrics"), trial));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->caller.name, "alice");
  EXPECT_EQ(ok->method, AuthMethod::kTrialToken);
  EXPECT_EQ(
      auth_->Identify(WithBearer(Request("POST", "/api/v1/experiments/3/trials/8/metrics"), trial))
          .status()
          .code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->Identify(WithBearer(Request("GET"), trial)).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->CallerForToken(trial).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, SessionCookieAuthenticatesAndOnlyItsHashIsStored) {
  StartedSession s = Login();
  EXPECT_EQ(s.cookie_value.size(), 43u);
  EXPECT_NE(s.cookie_value, s.csrf_token);
  auto identity = auth_->Identify(WithCookie(Request("GET"), s.cookie_value));
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->caller.name, "alice");
  EXPECT_EQ(identity->method, AuthMethod::kSession);
  EXPECT_EQ(identity->csrf_token, s.csrf_token);
  auto stored = Stored(s.cookie_value);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->id_hash, s.cookie_value);
  EXPECT_EQ(stored->expires_at, clock_.Now() + 7 * 24h);
  // A forged cookie of the right shape is not a session.
  std::string forged = s.cookie_value;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(auth_->Authenticate(WithCookie(Request("GET"), forged)).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(WithCookie(Request("GET"), "short")).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, UnsafeCookieRequestNeedsTheCsrfToken) {
  StartedSession s = Login();
  HttpRequest post = WithCookie(Request("POST"), s.cookie_value);
  auto missing = auth_->Authenticate(post);
  EXPECT_EQ(missing.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(missing.status().field(), "X-CSRF-Token");
  post.headers["x-csrf-token"] = s.csrf_token + "x";
  EXPECT_EQ(auth_->Authenticate(post).status().code(), StatusCode::kPermissionDenied);
  post.headers["x-csrf-token"] = s.csrf_token;
  EXPECT_TRUE(auth_->Authenticate(post).ok());
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    HttpRequest r = WithCookie(Request(method), s.cookie_value);
    EXPECT_EQ(auth_->Authenticate(r).status().code(), StatusCode::kPermissionDenied) << method;
  }
  for (const char* method : {"GET", "HEAD", "OPTIONS"})
    EXPECT_TRUE(auth_->Authenticate(WithCookie(Request(method), s.cookie_value)).ok()) << method;
}

TEST_F(AuthenticatorTest, CrossOriginCookieRequestIsRefusedEvenWithTheToken) {
  StartedSession s = Login();
  HttpRequest post = WithCookie(Request("POST"), s.cookie_value);
  post.headers["x-csrf-token"] = s.csrf_token;
  post.headers["origin"] = "https://evil.example";
  auto refused = auth_->Authenticate(post);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().field(), "Origin");
  post.headers["origin"] = "http://corral.example:8080";
  EXPECT_TRUE(auth_->Authenticate(post).ok());
}

TEST_F(AuthenticatorTest, BearerRequestsAreNotSubjectToCsrfAndNeverFallBackToTheCookie) {
  StartedSession s = Login();
  HttpRequest post = WithBearer(Request("DELETE"), token_);
  post.headers["origin"] = "https://elsewhere.example";
  EXPECT_TRUE(auth_->Authenticate(post).ok());
  HttpRequest both = WithCookie(WithBearer(Request("GET"), "corral_wrong"), s.cookie_value);
  EXPECT_EQ(auth_->Authenticate(both).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, IdleSessionExpires) {
  StartedSession s = Login();
  clock_.Advance(11h);
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok());
  clock_.Advance(11h);  // 11 h since the last use: still within the idle window
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok());
  clock_.Advance(12h);
  EXPECT_EQ(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_FALSE(Stored(s.cookie_value));
}

TEST_F(AuthenticatorTest, ActiveSessionEndsAtItsAbsoluteLifetime) {
  StartedSession s = Login();
  for (int hour = 1; hour < 7 * 24; ++hour) {
    clock_.Advance(1h);
    ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok()) << hour;
  }
  clock_.Advance(1h);
  EXPECT_EQ(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, LastSeenIsWrittenAtMostOncePerInterval) {
  StartedSession s = Login();
  const TimePoint start = clock_.Now();
  clock_.Advance(30s);
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok());
  EXPECT_EQ(Stored(s.cookie_value)->last_seen, start);
  clock_.Advance(31s);
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok());
  EXPECT_EQ(Stored(s.cookie_value)->last_seen, start + 61s);
  clock_.Advance(10s);
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).ok());
  EXPECT_EQ(Stored(s.cookie_value)->last_seen, start + 61s);
}

TEST_F(AuthenticatorTest, SessionsOutliveTheProcessButNotLogout) {
  StartedSession s = Login();
  ASSERT_TRUE(store_->Flush().ok());
  // A new authenticator over the same store, as after a restart: nothing cached.
  Authenticator restarted(*control_, *store_, clock_);
  auto identity = restarted.Identify(WithCookie(Request("GET"), s.cookie_value));
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->csrf_token, s.csrf_token);
  ASSERT_TRUE(restarted.EndSession(identity->session_hash).ok());
  EXPECT_EQ(restarted.Authenticate(WithCookie(Request("GET"), s.cookie_value)).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_FALSE(Stored(s.cookie_value));
}

TEST_F(AuthenticatorTest, IdleSessionFoundOnlyInTheStoreIsRefusedAndDeleted) {
  StartedSession s = Login();
  clock_.Advance(13h);
  Authenticator restarted(*control_, *store_, clock_);
  EXPECT_EQ(restarted.Authenticate(WithCookie(Request("GET"), s.cookie_value)).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_FALSE(Stored(s.cookie_value));
}

TEST_F(AuthenticatorTest, PasswordChangeRevokesEverySessionOfTheUser) {
  StartedSession first = Login(), second = Login();
  ASSERT_TRUE(auth_->Authenticate(WithCookie(Request("GET"), first.cookie_value)).ok());
  auto deleted = store_->DeleteUserSessions(alice_.id);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
  auth_->ForgetUserSessions(alice_.id);
  for (const auto& s : {first, second})
    EXPECT_EQ(auth_->Authenticate(WithCookie(Request("GET"), s.cookie_value)).status().code(),
              StatusCode::kUnauthenticated);
}

TEST(OriginTest, MatchesHostWithDefaultPortsAndCase) {
  EXPECT_TRUE(OriginMatchesHost("http://corral.example:8080", "corral.example:8080"));
  EXPECT_TRUE(OriginMatchesHost("https://Corral.Example", "corral.example:443"));
  EXPECT_TRUE(OriginMatchesHost("http://corral.example:80", "corral.example"));
  EXPECT_FALSE(OriginMatchesHost("http://corral.example:8081", "corral.example:8080"));
  EXPECT_FALSE(OriginMatchesHost("https://corral.example.evil", "corral.example"));
  EXPECT_FALSE(OriginMatchesHost("null", "corral.example"));
  EXPECT_FALSE(OriginMatchesHost("http://corral.example/x", "corral.example"));
  EXPECT_FALSE(OriginMatchesHost("http://corral.example", ""));
}

TEST(CookieTest, FindsTheNamedCookieAndWritesStrictAttributes) {
  EXPECT_EQ(CookieValue("a=1; corral_session=abc; b=2", "corral_session"), "abc");
  EXPECT_EQ(CookieValue("corral_session=\"q\"", "corral_session"), "q");
  EXPECT_EQ(CookieValue("xcorral_session=abc", "corral_session"), std::nullopt);
  EXPECT_EQ(CookieValue("", "corral_session"), std::nullopt);
  EXPECT_EQ(SessionCookie("corral_session", "v", {std::chrono::hours(1), false}),
            "corral_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600");
  EXPECT_EQ(SessionCookie("corral_session", "", {Duration(0), true}),
            "corral_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure");
}

TEST(LoginLimiterTest, RefusesAfterTooManyFailuresUntilTheyAgeOut) {
  FakeClock clock;
  LoginLimiter limiter(clock, {3, Duration(5 * 60 * 1000), 100});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.RetryAfter("user:a")) << i;
    limiter.RecordFailure("user:a");
    clock.Advance(10s);
  }
  auto wait = limiter.RetryAfter("user:a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 5min - 30s);
  EXPECT_FALSE(limiter.RetryAfter("user:b"));
  clock.Advance(*wait);
  EXPECT_FALSE(limiter.RetryAfter("user:a"));
  limiter.RecordFailure("user:a");
  EXPECT_TRUE(limiter.RetryAfter("user:a"));
  limiter.Reset("user:a");
  EXPECT_FALSE(limiter.RetryAfter("user:a"));
}

TEST(LoginLimiterTest, AttemptsCountUntilForgiven) {
  FakeClock clock;
  LoginLimiter limiter(clock, {2, Duration(60'000), 100});
  // Two attempts in flight at once use up the allowance before either has failed.
  EXPECT_FALSE(limiter.Attempt("addr:x"));
  EXPECT_FALSE(limiter.Attempt("addr:x"));
  EXPECT_TRUE(limiter.Attempt("addr:x"));
  limiter.Forgive("addr:x");  // one of them succeeded
  EXPECT_FALSE(limiter.Attempt("addr:x"));
  EXPECT_TRUE(limiter.Attempt("addr:x"));
}

TEST(LoginLimiterTest, KeepsAtMostMaxKeys) {
  FakeClock clock;
  LoginLimiter limiter(clock, {1, Duration(60'000), 2});
  limiter.RecordFailure("a");
  clock.Advance(1s);
  limiter.RecordFailure("b");
  clock.Advance(1s);
  limiter.RecordFailure("c");  // evicts "a", the stalest
  EXPECT_FALSE(limiter.RetryAfter("a"));
  EXPECT_TRUE(limiter.RetryAfter("b"));
  EXPECT_TRUE(limiter.RetryAfter("c"));
}

TEST(PasswordTest, HashVerifiesOnlyTheSamePassword) {
  auto hash = HashPassword("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery ", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery", "not a hash"));
  EXPECT_FALSE(VerifyPassword("anything", DecoyPasswordHash()));
}

TEST(PasswordTest, NewPasswordRules) {
  EXPECT_EQ(CheckNewPassword("short", "password").field(), "password");
  EXPECT_FALSE(CheckNewPassword(std::string("abcdefgh\0ij", 11), "password").ok());
  EXPECT_FALSE(CheckNewPassword("abcdefgh\xff", "password").ok());
  EXPECT_FALSE(CheckNewPassword(std::string(kMaxPasswordBytes + 1, 'a'), "password").ok());
  EXPECT_TRUE(CheckNewPassword("long enough", "password").ok());
}

}  // namespace
}  // namespace corral::api
