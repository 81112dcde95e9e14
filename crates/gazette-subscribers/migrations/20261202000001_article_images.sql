-- Which stored pictures each live article's page shows: the media stage's
-- variants are shared by every article that uses the same photo, so a
-- withdrawal (or a revision that drops a picture) removes a picture's
-- variants only when no other live article still names it.

CREATE TABLE article_images (
    article_id TEXT NOT NULL,
    image_id TEXT NOT NULL,
    PRIMARY KEY (article_id, image_id)
);
CREATE INDEX article_images_by_image ON article_images (image_id);
