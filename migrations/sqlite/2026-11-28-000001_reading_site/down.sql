DROP TABLE article_tags;
DROP TABLE tags;
DROP TABLE article_authors;
DROP TABLE articles;
DROP TABLE media;
DROP TABLE authors;
DROP TABLE sections;
