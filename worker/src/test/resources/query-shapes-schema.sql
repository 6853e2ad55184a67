-- The tables the queries of query-shapes.tsv read (run after the catalog is installed).
CREATE TABLE src (id serial PRIMARY KEY, region text, category text, amount int, score int);
CREATE TABLE dim (id serial PRIMARY KEY, region text, region_name text, multiplier numeric);
CREATE TABLE customers (id int PRIMARY KEY, name text, region text);
CREATE TABLE products (id int PRIMARY KEY, name text, category text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, product_id int, qty int,
                     price numeric(12,2), note text, placed date);
CREATE TABLE shipments (id int PRIMARY KEY, order_id int, carrier text);
CREATE TABLE keyless (a int, b text);
CREATE TABLE docs (id int PRIMARY KEY, body jsonb, raw json, tags text[]);
CREATE VIEW big_orders AS SELECT id, customer_id, qty FROM orders WHERE qty > 10;
SELECT pgtrickle.create_stream_table('region_totals',
  'SELECT region, sum(amount) AS total FROM src GROUP BY region');
