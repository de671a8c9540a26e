#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/sqlite_handle.h"

namespace corral::store::sqlite {
namespace {

// A table with ids 1..5 and a name per id.
class QueryRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_.emplace(std::move(conn).value());
    ASSERT_TRUE(conn_
                    ->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);"
                           "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');")
                    .ok());
  }

  Query Select(const char* sql) {
    auto q = conn_->Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return std::move(q).value();
  }

  std::optional<Connection> conn_;
};

int64_t Id(const Query& q) { return q.Int(0); }

TEST_F(QueryRowsTest, RowsDecodesEveryRowInOrder) {
  Query q = Select("SELECT id FROM t ORDER BY id DESC");
  auto ids = q.Rows(Id);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<int64_t>{5, 4, 3, 2, 1}));
}

TEST_F(QueryRowsTest, RowsOfAnEmptyResultIsEmpty) {
  Query q = Select("SELECT id FROM t WHERE id > 100");
  auto ids = q.Rows(Id);
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST_F(QueryRowsTest, RowsStopsAtTheFirstFailedDecode) {
  Query q = Select("SELECT id, name FROM t ORDER BY id");
  int decoded = 0;
  auto names = q.Rows([&](const Query& row) -> Result<std::string> {
    ++decoded;
    if (row.Int(0) == 3) return Internal("corrupt row 3");
    return std::string(row.Text(1));
  });
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().message(), "corrupt row 3");
  EXPECT_EQ(decoded, 3);
}

TEST_F(QueryRowsTest, RowsReturnsAFailedStep) {
  Query q = Select("SELECT id FROM t WHERE id > ?");
  q.Bind(2, int64_t{1});  // no such parameter: the bind error surfaces at the first step
  auto ids = q.Rows(Id);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), StatusCode::kInternal);
}

TEST_F(QueryRowsTest, AppendRowsStopsAtTheLimitWithoutDecodingTheNextRow) {
  Query q = Select("SELECT id FROM t ORDER BY id LIMIT 3");
  std::vector<int64_t> ids;
  int decoded = 0;
  auto more = q.AppendRows(ids, 2, [&](const Query& row) -> Result<int64_t> {
    ++decoded;
    if (row.Int(0) == 3) return Internal("row 3 must not be decoded");
    return row.Int(0);
  });
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_TRUE(*more);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(decoded, 2);
}

TEST_F(QueryRowsTest, AppendRowsSaysNoMoreWhenTheRowsEndWithinTheLimit) {
  for (size_t limit : {size_t{5}, size_t{6}}) {
    Query q = Select("SELECT id FROM t ORDER BY id");
    std::vector<int64_t> ids;
    auto more = q.AppendRows(ids, limit, Id);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more) << "limit " << limit;
    EXPECT_EQ(ids.size(), 5u);
  }
}

TEST_F(QueryRowsTest, OneRowIsTheFirstRowOrNothing) {
  {
    Query q = Select("SELECT name FROM t WHERE id >= ? ORDER BY id");
    q.Bind(1, int64_t{4});
    auto name = q.OneRow([](const Query& row) { return std::string(row.Text(0)); });
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(*name, std::optional<std::string>("d"));
  }
  Query q = Select("SELECT name FROM t WHERE id = 100");
  auto name = q.OneRow([](const Query& row) { return std::string(row.Text(0)); });
  ASSERT_TRUE(name.ok());
  EXPECT_FALSE(name->has_value());
}

TEST_F(QueryRowsTest, OneRowReturnsAFailedDecode) {
  Query q = Select("SELECT id FROM t WHERE id = 2");
  auto id = q.OneRow([](const Query&) -> Result<int64_t> { return NotFound("no"); });
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corral::store::sqlite
