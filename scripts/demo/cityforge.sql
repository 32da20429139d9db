-- The worcester incident of 2025-11-28 (shared/notes/troubleshooting-sequences.md), reproduced:
-- a data import wrote rows with explicit ids and left the sequences where they were.
--   cards: max 42 / seq 1, card_submissions: 35 / 1, tags: 89 / 1, forum_categories: 3 / 1, card_modifications: 7 / 5
CREATE TABLE forum_categories (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE cards (id serial PRIMARY KEY, title text NOT NULL, category_id int REFERENCES forum_categories (id));
CREATE TABLE card_submissions (id serial PRIMARY KEY, card_id int NOT NULL REFERENCES cards (id), submitted_by text NOT NULL);
CREATE TABLE card_modifications (id serial PRIMARY KEY, card_id int NOT NULL REFERENCES cards (id), change text NOT NULL);

-- The import: explicit ids.
INSERT INTO forum_categories (id, name) SELECT g, 'category ' || g FROM generate_series(1, 3) g;
INSERT INTO tags (id, name) SELECT g, 'tag-' || g FROM generate_series(1, 89) g;
INSERT INTO cards (id, title, category_id) SELECT g, 'card ' || g, 1 + g % 3 FROM generate_series(1, 42) g;
INSERT INTO card_submissions (id, card_id, submitted_by) SELECT g, 1 + g % 42, 'user' || g FROM generate_series(1, 35) g;
INSERT INTO card_modifications (id, card_id, change) SELECT g, g, 'edit ' || g FROM generate_series(1, 7) g;

-- Where the sequences were left.
SELECT setval('forum_categories_id_seq', 1);
SELECT setval('tags_id_seq', 1);
SELECT setval('cards_id_seq', 1);
SELECT setval('card_submissions_id_seq', 1);
SELECT setval('card_modifications_id_seq', 5);
