DROP TABLE rate_limits;
DROP TABLE comments;
DROP TABLE sessions;
DROP TABLE users;
