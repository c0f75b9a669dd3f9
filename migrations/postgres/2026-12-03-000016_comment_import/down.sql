DROP TABLE imported_authors;
DROP TABLE imported_comments;
