import Kernel

enum CatalogSchema {
    static let migrations = [
        Migration(version: 1, name: "products, SKUs, categories, tags, reviews", sql: """
            CREATE TABLE catalog_products (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, handle TEXT NOT NULL, title TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '', keywords TEXT NOT NULL DEFAULT '[]', images TEXT NOT NULL DEFAULT '[]',
                attributes TEXT NOT NULL DEFAULT '{}', listed INTEGER NOT NULL DEFAULT 0, list_at INTEGER, unlist_at INTEGER,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, handle), CHECK (list_at IS NULL OR unlist_at IS NULL OR unlist_at > list_at));
            CREATE TABLE catalog_skus (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES catalog_products (id),
                code TEXT NOT NULL, price INTEGER NOT NULL CHECK (price >= 0), currency TEXT NOT NULL,
                weight_grams INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
                volume_cm3 INTEGER NOT NULL DEFAULT 0 CHECK (volume_cm3 >= 0), barcode TEXT,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (shop_id, code));
            CREATE INDEX catalog_skus_by_product ON catalog_skus (shop_id, product_id);
            CREATE TABLE catalog_categories (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, parent_id INTEGER REFERENCES catalog_categories (id),
                name TEXT NOT NULL, created_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX catalog_categories_name_per_parent
                ON catalog_categories (shop_id, IFNULL(parent_id, 0), name COLLATE NOCASE);
            CREATE TABLE catalog_product_categories (
                shop_id INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES catalog_products (id),
                category_id INTEGER NOT NULL REFERENCES catalog_categories (id), PRIMARY KEY (product_id, category_id));
            CREATE INDEX catalog_product_categories_by_category ON catalog_product_categories (shop_id, category_id);
            CREATE TABLE catalog_product_tags (
                shop_id INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES catalog_products (id), tag TEXT NOT NULL,
                PRIMARY KEY (product_id, tag));
            CREATE INDEX catalog_product_tags_by_tag ON catalog_product_tags (shop_id, tag);
            CREATE TABLE catalog_reviews (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES catalog_products (id),
                customer_ref TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5), body TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
                moderated_by TEXT, moderated_at INTEGER, reply TEXT, replied_by TEXT, replied_at INTEGER,
                created_at INTEGER NOT NULL);
            CREATE INDEX catalog_reviews_by_product ON catalog_reviews (shop_id, product_id, status);
            """),
    ]
}
