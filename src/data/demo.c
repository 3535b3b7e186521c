/* demo.c — the demo company behind `da serve --demo` (called once at startup by cmd/serve.c).
 * It generates six related tables with DuckDB SQL alone: every value is a pure function of a
 * row number and a salt through hash(), over range(), so the same scale gives the same data on
 * every run, and order totals can be computed from their lines without a join. The tables are
 * written through the extract writer (data/extract.h), the same code every connector uses, so
 * the demo extract is crash safe and checked like any other. */
#include "data/demo.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/extract.h"

/* Row counts at scale 1; every one but products is multiplied by the scale. */
#define DEMO_CUSTOMERS 1000
#define DEMO_PRODUCTS  200
#define DEMO_ORDERS    10000
#define DEMO_SESSIONS  20000
#define DEMO_TICKETS   2000

struct demo_table {
    const char *name;
    const char *description;
    const char *select_sql; /* ordered by the table's key */
};

/* Macros every table query uses. demo_u(i, salt, n) is a uniform integer in [0, n) drawn from
 * the row number i; demo_pick(list, i, salt) picks one element; demo_ts spreads n rows over
 * 2025 in key order with a jitter. The product category, price, and the lines of an order
 * are macros too, because orders and order_items must agree on them. The %d are the row
 * counts of the chosen scale. */
static const char demo_setup_sql[] =
    "CREATE MACRO demo_n_customers() AS %d::BIGINT;\n"
    "CREATE MACRO demo_n_products() AS %d::BIGINT;\n"
    "CREATE MACRO demo_n_orders() AS %d::BIGINT;\n"
    "CREATE MACRO demo_n_sessions() AS %d::BIGINT;\n"
    "CREATE MACRO demo_n_tickets() AS %d::BIGINT;\n"
    /* n is cast because UBIGINT % BIGINT would be computed in HUGEINT, 15 times slower */
    "CREATE MACRO demo_u(i, salt, n) AS (hash(i, salt) %% n::UBIGINT)::BIGINT;\n"
    "CREATE MACRO demo_pick(l, i, salt) AS l[1 + demo_u(i, salt, len(l))];\n"
    "CREATE MACRO demo_ts(i, n, salt) AS TIMESTAMP '2025-01-01'"
    " + to_seconds((i - 1) * 31536000 // n + demo_u(i, salt, greatest(31536000 // n, 1)));\n"
    "CREATE MACRO demo_category_index(p) AS 1 + demo_u(p, 'category', 6);\n"
    "CREATE MACRO demo_category(p) AS (["
    "{'category': 'Electronics', 'max_price': 400, 'max_weight': 8,"
    " 'nouns': ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Webcam', 'Monitor']},"
    "{'category': 'Home & Kitchen', 'max_price': 250, 'max_weight': 12,"
    " 'nouns': ['Kettle', 'Blender', 'Knife Set', 'Lamp', 'Coffee Grinder', 'Cookware Set']},"
    "{'category': 'Outdoors', 'max_price': 300, 'max_weight': 6,"
    " 'nouns': ['Backpack', 'Tent', 'Water Bottle', 'Hiking Poles', 'Sleeping Bag',"
    " 'Rain Jacket']},"
    "{'category': 'Office', 'max_price': 500, 'max_weight': 25,"
    " 'nouns': ['Desk Chair', 'Notebook', 'Standing Desk', 'Pen Set', 'Desk Organizer',"
    " 'Monitor Arm']},"
    "{'category': 'Books', 'max_price': 60, 'max_weight': 2,"
    " 'nouns': ['Cookbook', 'Travel Guide', 'Novel', 'Atlas', 'Field Guide', 'Biography']},"
    "{'category': 'Software', 'max_price': 150, 'max_weight': 0,"
    " 'nouns': ['Photo Editor', 'Antivirus', 'Budget Planner', 'Language Course',"
    " 'Backup Suite', 'Password Manager']}])[demo_category_index(p)];\n"
    /* prices end in .99: 4.99 up to the category's maximum */
    "CREATE MACRO demo_price(p) AS (((5 + demo_u(p, 'price',"
    " [400, 250, 300, 500, 60, 150][demo_category_index(p)] - 4))"
    " * 100 - 1)::DECIMAL(12, 0) * 0.01)::DECIMAL(10, 2);\n"
    /* order o has 1-5 lines; line k holds a distinct product (37 * k differs mod 200 for k < 5)
     * in quantity 1-3 at the product's price */
    "CREATE MACRO demo_nitems(o) AS (1 + demo_u(o, 'items', 5))::INTEGER;\n"
    "CREATE MACRO demo_pid(o, k) AS"
    " (1 + (demo_u(o, 'product', demo_n_products()) + k * 37) %% demo_n_products())::INTEGER;\n"
    "CREATE MACRO demo_qty(o, k) AS (1 + demo_u(hash(o, k), 'quantity', 3))::INTEGER;\n"
    "CREATE MACRO demo_line_total(o, k) AS (CASE WHEN k < demo_nitems(o) THEN"
    " demo_qty(o, k) * demo_price(demo_pid(o, k)) ELSE 0 END)::DECIMAL(10, 2);\n"
    "CREATE MACRO demo_order_customer(o) AS 1 + demo_u(o, 'order_customer', demo_n_customers());\n";

static const struct demo_table demo_tables[] = {
    {
        "customers",
        "One row per customer of the demo company: name, email (reserved example.* domains), "
        "company name (NULL for consumers), segment, city, country, signup date and "
        "activity and marketing flags.",
        "SELECT customer_id, first_name, last_name,"
        " lower(first_name || '.' || last_name || '.' || customer_id) || '@' || domain AS email,"
        " CASE WHEN segment <> 'consumer' THEN last_name || ' ' || company_suffix END"
        " AS company_name,"
        " segment, location.city AS city, location.country AS country, signup_date, is_active,"
        " marketing_opt_in "
        "FROM (SELECT i AS customer_id,"
        " demo_pick(['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Lucas', 'Sofia', 'Mateo', 'Mia',"
        " 'Elias', 'Amara', 'Kenji', 'Priya', 'Omar', 'Chloe', 'Jakub', 'Ines', 'Tomas',"
        " 'Aisha', 'Felix', 'Hana', 'Diego', 'Zoe', 'Arjun', 'Lena', 'Marek', 'Yuki', 'Samuel',"
        " 'Nora', 'Ivan', 'Leila', 'Ethan'], i, 'first_name') AS first_name,"
        " demo_pick(['Smith', 'Garcia', 'Novak', 'Muller', 'Tanaka', 'Rossi', 'Kowalski',"
        " 'Dubois', 'Jensen', 'Silva', 'Khan', 'Patel', 'Nguyen', 'Haddad', 'Svoboda', 'Larsen',"
        " 'Moreau', 'Fischer', 'Costa', 'Kim', 'Okafor', 'Walsh', 'Schmidt', 'Lopez'], i,"
        " 'last_name') AS last_name,"
        " demo_pick(['example.com', 'example.org', 'example.net'], i, 'domain') AS domain,"
        " demo_pick([{'city': 'New York', 'country': 'United States'},"
        " {'city': 'Austin', 'country': 'United States'},"
        " {'city': 'Chicago', 'country': 'United States'},"
        " {'city': 'San Francisco', 'country': 'United States'},"
        " {'city': 'Toronto', 'country': 'Canada'},"
        " {'city': 'London', 'country': 'United Kingdom'},"
        " {'city': 'Manchester', 'country': 'United Kingdom'},"
        " {'city': 'Berlin', 'country': 'Germany'}, {'city': 'Munich', 'country': 'Germany'},"
        " {'city': 'Paris', 'country': 'France'}, {'city': 'Madrid', 'country': 'Spain'},"
        " {'city': 'Amsterdam', 'country': 'Netherlands'},"
        " {'city': 'Prague', 'country': 'Czechia'}, {'city': 'Warsaw', 'country': 'Poland'},"
        " {'city': 'Malm\xc3\xb6', 'country': 'Sweden'},"
        " {'city': 'Sydney', 'country': 'Australia'}, {'city': 'Tokyo', 'country': 'Japan'},"
        " {'city': 'S\xc3\xa3o Paulo', 'country': 'Brazil'}], i, 'location') AS location,"
        " CASE WHEN demo_u(i, 'segment', 100) < 70 THEN 'consumer'"
        " WHEN demo_u(i, 'segment', 100) < 92 THEN 'small_business' ELSE 'enterprise' END"
        " AS segment,"
        " demo_pick(['Labs', 'Group', 'Trading', 'Studio', 'Systems', 'Partners', 'Logistics',"
        " 'Foods'], i, 'company') AS company_suffix,"
        " DATE '2023-01-01' + ((i - 1) * 730 // demo_n_customers())::INTEGER AS signup_date,"
        " demo_u(i, 'active', 100) >= 8 AS is_active,"
        " demo_u(i, 'opt_in', 100) < 45 AS marketing_opt_in"
        " FROM range(1, demo_n_customers() + 1) r(i)) "
        "ORDER BY customer_id",
    },
    {
        "products",
        "The product catalogue: SKU, name, category, list price and unit cost in USD, shipping "
        "weight in kg (NULL for software), launch date and whether it is still sold.",
        "SELECT p::INTEGER AS product_id, 'SKU-' || lpad(p::VARCHAR, 5, '0') AS sku,"
        " demo_pick(['Classic', 'Compact', 'Pro', 'Eco', 'Smart', 'Ultra', 'Everyday',"
        " 'Premium', 'Travel', 'Mini'], p, 'adjective') || ' '"
        " || demo_pick(demo_category(p).nouns, p, 'noun') AS product_name,"
        " demo_category(p).category AS category, demo_price(p) AS unit_price,"
        " (demo_price(p) * ((45 + demo_u(p, 'margin', 35))::DECIMAL(4, 0) * 0.01))"
        "::DECIMAL(10, 2) AS unit_cost,"
        " CASE WHEN demo_category(p).max_weight > 0 THEN"
        " ((5 + demo_u(p, 'weight', demo_category(p).max_weight * 100))::DECIMAL(8, 0) * 0.01)"
        "::DECIMAL(6, 2) END AS weight_kg,"
        " DATE '2019-01-01' + demo_u(p, 'launched', 2000)::INTEGER AS launched_on,"
        " demo_u(p, 'discontinued', 100) >= 10 AS is_active "
        "FROM range(1, demo_n_products() + 1) r(p) "
        "ORDER BY product_id",
    },
    {
        "orders",
        "One row per order placed in 2025: the customer, order time, status, sales channel, "
        "number of lines, total amount in USD (the sum of its order_items line totals) and "
        "shipping time (NULL until shipped).",
        "SELECT order_id, demo_order_customer(order_id) AS customer_id, ordered_at, status,"
        " channel, demo_nitems(order_id) AS item_count,"
        " (demo_line_total(order_id, 0) + demo_line_total(order_id, 1)"
        " + demo_line_total(order_id, 2) + demo_line_total(order_id, 3)"
        " + demo_line_total(order_id, 4))::DECIMAL(10, 2) AS total_amount,"
        " CASE WHEN status NOT IN ('placed', 'cancelled') THEN"
        " ordered_at + to_seconds(3600 + demo_u(order_id, 'shipped', 3 * 86400)) END"
        " AS shipped_at "
        "FROM (SELECT o AS order_id, demo_ts(o, demo_n_orders(), 'ordered_at') AS ordered_at,"
        " CASE WHEN demo_u(o, 'order_status', 100) < 3 THEN 'cancelled'"
        " WHEN demo_ts(o, demo_n_orders(), 'ordered_at') >= TIMESTAMP '2025-12-22' THEN"
        " (CASE WHEN demo_u(o, 'order_status', 100) < 40 THEN 'placed' ELSE 'shipped' END)"
        " WHEN demo_u(o, 'order_status', 100) < 7 THEN 'returned' ELSE 'delivered' END AS status,"
        " demo_pick(['web', 'web', 'web', 'mobile_app', 'mobile_app', 'phone', 'marketplace'],"
        " o, 'order_channel') AS channel"
        " FROM range(1, demo_n_orders() + 1) r(o)) "
        "ORDER BY order_id",
    },
    {
        "order_items",
        "Order lines, one per product in an order, with quantity, unit price and line total in "
        "USD; order_id references orders and product_id references products.",
        "SELECT row_number() OVER (ORDER BY o, k) AS order_item_id, o AS order_id,"
        " (k + 1)::INTEGER AS line_number, demo_pid(o, k) AS product_id,"
        " demo_qty(o, k) AS quantity, demo_price(demo_pid(o, k)) AS unit_price,"
        " demo_line_total(o, k) AS line_total "
        "FROM range(1, demo_n_orders() + 1) r(o), range(5) l(k) "
        "WHERE k < demo_nitems(o) "
        "ORDER BY order_item_id",
    },
    {
        "web_sessions",
        "Visits to the web shop in 2025: start time, duration, page views, device, traffic "
        "source, landing page and whether the visit ended in a purchase; customer_id is NULL "
        "for anonymous visitors.",
        "SELECT session_id, customer_id, started_at,"
        " CASE WHEN page_views = 1 THEN demo_u(session_id, 'duration', 60)::INTEGER"
        " ELSE (page_views * (15 + demo_u(session_id, 'duration', 90)))::INTEGER END"
        " AS duration_seconds,"
        " page_views, device, traffic_source, landing_page,"
        " customer_id IS NOT NULL AND page_views > 2 AND demo_u(session_id, 'converted', 100) < 15"
        " AS converted "
        "FROM (SELECT s AS session_id,"
        " CASE WHEN demo_u(s, 'anonymous', 100) >= 40 THEN"
        " 1 + demo_u(s, 'session_customer', demo_n_customers()) END AS customer_id,"
        " demo_ts(s, demo_n_sessions(), 'started_at') AS started_at,"
        " CASE WHEN demo_u(s, 'bounce', 100) < 35 THEN 1"
        " ELSE 2 + demo_u(s, 'page_views', 14) END::INTEGER AS page_views,"
        " demo_pick(['desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet'], s, 'device')"
        " AS device,"
        " demo_pick(['organic', 'organic', 'paid_search', 'email', 'social', 'direct',"
        " 'direct', 'referral'], s, 'source') AS traffic_source,"
        " demo_pick(['/', '/', '/products', '/pricing', '/sale', '/products/new',"
        " '/blog/choosing-headphones', '/support'], s, 'landing') AS landing_page"
        " FROM range(1, demo_n_sessions() + 1) r(s)) "
        "ORDER BY session_id",
    },
    {
        "support_tickets",
        "Customer support tickets opened in 2025 with category, subject, priority, status and "
        "channel; order_id is set when a ticket is about an order, and resolved_at and "
        "satisfaction_score are NULL while a ticket is open or pending.",
        "SELECT ticket_id, customer_id, order_id, created_at, channel, topic.category AS category,"
        " demo_pick(topic.subjects, ticket_id, 'subject') AS subject, priority, status,"
        " CASE WHEN status IN ('resolved', 'closed') THEN created_at + to_seconds(600"
        " + demo_u(ticket_id, 'resolved', CASE priority WHEN 'urgent' THEN 4 * 3600"
        " WHEN 'high' THEN 24 * 3600 ELSE 72 * 3600 END)) END AS resolved_at,"
        " CASE WHEN status IN ('resolved', 'closed') AND demo_u(ticket_id, 'answered', 100) < 55"
        " THEN demo_pick([1, 2, 3, 4, 4, 5, 5, 5], ticket_id, 'score') END::INTEGER"
        " AS satisfaction_score "
        "FROM (SELECT ticket_id, order_id,"
        /* hash(NULL) is not NULL, hence CASE and not coalesce */
        " CASE WHEN order_id IS NOT NULL THEN demo_order_customer(order_id)"
        " ELSE 1 + demo_u(ticket_id, 'ticket_customer', demo_n_customers()) END AS customer_id,"
        " created_at,"
        " demo_pick(['email', 'chat', 'chat', 'phone', 'web_form'], ticket_id, 'ticket_channel')"
        " AS channel,"
        " CASE WHEN order_id IS NOT NULL THEN demo_pick(topics[1:4], ticket_id, 'topic')"
        " ELSE demo_pick(topics[3:6], ticket_id, 'topic') END AS topic,"
        " demo_pick(['low', 'normal', 'normal', 'normal', 'high', 'high', 'urgent'], ticket_id,"
        " 'priority') AS priority,"
        " CASE WHEN created_at >= TIMESTAMP '2025-12-17'"
        " AND demo_u(ticket_id, 'ticket_status', 100) < 50 THEN 'open'"
        " WHEN created_at >= TIMESTAMP '2025-12-17'"
        " AND demo_u(ticket_id, 'ticket_status', 100) < 75 THEN 'pending'"
        " WHEN demo_u(ticket_id, 'ticket_status', 100) < 3 THEN 'open'"
        " WHEN demo_u(ticket_id, 'ticket_status', 100) < 5 THEN 'pending'"
        " WHEN demo_u(ticket_id, 'ticket_status', 100) < 80 THEN 'resolved' ELSE 'closed' END"
        " AS status"
        /* a ticket about an order names one placed before the ticket was opened */
        " FROM (SELECT t AS ticket_id, demo_ts(t, demo_n_tickets(), 'created_at') AS created_at,"
        " CASE WHEN demo_u(t, 'about_order', 100) < 60"
        " AND (t - 1) * demo_n_orders() // demo_n_tickets() > 0"
        " THEN 1 + demo_u(t, 'order', (t - 1) * demo_n_orders() // demo_n_tickets()) END"
        " AS order_id,"
        " [{'category': 'shipping', 'subjects': ['Where is my package?',"
        " 'Parcel arrived damaged', 'Wrong delivery address']},"
        " {'category': 'returns', 'subjects': ['How do I return an item?',"
        " 'Refund not received yet', 'Wrong size sent']},"
        " {'category': 'billing', 'subjects': ['Charged twice', 'Need an invoice copy',"
        " 'Discount code did not apply']},"
        " {'category': 'product', 'subjects': ['Item stopped working',"
        " 'Question about compatibility', 'Missing parts']},"
        " {'category': 'account', 'subjects': ['Cannot log in', 'Change my email address',"
        " 'Delete my account']},"
        " {'category': 'technical', 'subjects': ['Licence key not accepted',"
        " 'App crashes on start', 'Website checkout error']}] AS topics"
        " FROM range(1, demo_n_tickets() + 1) r(t))) "
        "ORDER BY ticket_id",
    },
};

/* Reads the number of tables and the sum of their rows from the extract's _meta. */
static enum rc read_summary(const char *db_path, struct demo_result *out, struct err *err)
{
    struct duck *d = NULL;
    int64_t tables = 0, rows = 0;
    enum rc rc = duck_open_readonly(db_path, &d, err);
    if (rc)
        goto out;
    rc = duck_query_i64(d, "SELECT count(*) FROM _meta", &tables, err);
    if (rc)
        goto out;
    rc = duck_query_i64(d, "SELECT coalesce(sum(rows), 0)::BIGINT FROM _meta", &rows, err);
    if (rc)
        goto out;
    out->tables = tables > INT_MAX ? INT_MAX : (int)tables;
    out->rows = rows;
out:
    duck_close(&d);
    return rc;
}

/* The demo's business metric definitions (core/metric_defs.h), in the original's field names,
 * over the tables above: written to <data_dir>/docs/metrics once, never over a file that is
 * there (an admin may have edited it). */
static const struct {
    const char *path; /* under docs/metrics */
    const char *yaml;
} demo_metric_defs[] = {
    { "finance/revenue.yml",
      "name: revenue\n"
      "display_name: Revenue\n"
      "category: finance\n"
      "type: sum\n"
      "unit: USD\n"
      "grain: monthly\n"
      "time_column: ordered_at\n"
      "table: orders\n"
      "expression: \"SUM(total_amount)\"\n"
      "description: \"Net revenue of the demo company: the order totals of every order that was "
      "not\n"
      "  cancelled or returned, by the month it was placed.\"\n"
      "dimensions:\n"
      "  - channel\n"
      "  - status\n"
      "notes:\n"
      "  - \"Excludes cancelled and returned orders; placed (not yet shipped) orders count\"\n"
      "  - \"Revenue is counted in the month the order was placed (ordered_at), not when it "
      "shipped\"\n"
      "  - \"total_amount is the sum of the order's order_items.line_total, in USD\"\n"
      "synonyms:\n"
      "  - net_revenue\n"
      "  - sales\n"
      "  - turnover\n"
      "sql: |\n"
      "  SELECT\n"
      "      DATE_TRUNC('month', ordered_at) AS month,\n"
      "      SUM(total_amount) AS revenue\n"
      "  FROM orders\n"
      "  WHERE status NOT IN ('cancelled', 'returned')\n"
      "  GROUP BY 1\n"
      "  ORDER BY 1\n"
      "sql_by_channel: |\n"
      "  SELECT\n"
      "      DATE_TRUNC('month', ordered_at) AS month,\n"
      "      channel,\n"
      "      SUM(total_amount) AS revenue\n"
      "  FROM orders\n"
      "  WHERE status NOT IN ('cancelled', 'returned')\n"
      "  GROUP BY 1, 2\n"
      "  ORDER BY 1, 3 DESC\n" },
    { "customers/active_customers.yml",
      "name: active_customers\n"
      "display_name: Active Customers\n"
      "category: customers\n"
      "type: count\n"
      "unit: customers\n"
      "grain: monthly\n"
      "time_column: ordered_at\n"
      "table: orders\n"
      "expression: \"COUNT(DISTINCT customer_id)\"\n"
      "description: \"Customers who placed at least one order that was not cancelled in the "
      "month.\"\n"
      "dimensions:\n"
      "  - segment\n"
      "  - country\n"
      "notes:\n"
      "  - \"A customer is active in a month when any of their orders placed that month was not "
      "cancelled\"\n"
      "  - \"customers.is_active is an account flag, not this metric\"\n"
      "  - \"segment and country come from customers, joined on customer_id\"\n"
      "synonyms:\n"
      "  - monthly_active_customers\n"
      "  - buying_customers\n"
      "sql: |\n"
      "  SELECT\n"
      "      DATE_TRUNC('month', ordered_at) AS month,\n"
      "      COUNT(DISTINCT customer_id) AS active_customers\n"
      "  FROM orders\n"
      "  WHERE status <> 'cancelled'\n"
      "  GROUP BY 1\n"
      "  ORDER BY 1\n"
      "sql_by_segment: |\n"
      "  SELECT\n"
      "      DATE_TRUNC('month', o.ordered_at) AS month,\n"
      "      c.segment,\n"
      "      COUNT(DISTINCT o.customer_id) AS active_customers\n"
      "  FROM orders o\n"
      "  JOIN customers c USING (customer_id)\n"
      "  WHERE o.status <> 'cancelled'\n"
      "  GROUP BY 1, 2\n"
      "  ORDER BY 1, 2\n" },
};

static enum rc write_metric_defs(const char *data_dir, struct err *err)
{
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < ARRAY_LEN(demo_metric_defs); i++) {
        char *path = xasprintf("%s/docs/metrics/%s", data_dir, demo_metric_defs[i].path);
        char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        rc = file_mkdir_p(dir, 0755, err);
        if (!rc && !file_exists(path)) {
            const char *y = demo_metric_defs[i].yaml;
            rc = file_create_atomic(path, y, strlen(y), 0644, err);
            if (rc == RC_CONFLICT) /* another process wrote it first */
                rc = RC_OK;
        }
        free(dir);
        free(path);
    }
    return rc;
}

/* Writes every table through the extract writer, which makes the run crash safe. */
static enum rc generate(const char *dir, int scale, struct demo_result *out, struct err *err)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    char *setup = xasprintf(demo_setup_sql, DEMO_CUSTOMERS * scale, DEMO_PRODUCTS,
                            DEMO_ORDERS * scale, DEMO_SESSIONS * scale, DEMO_TICKETS * scale);
    enum rc rc = extract_writer_begin(dir, &w, err);
    if (!rc)
        rc = duck_exec(extract_writer_duck(w), setup, err);
    for (size_t i = 0; !rc && i < ARRAY_LEN(demo_tables); i++)
        rc = extract_writer_add(w, demo_tables[i].name, demo_tables[i].description,
                                demo_tables[i].select_sql, err);
    if (!rc)
        rc = extract_writer_commit(&w, &res, err);
    extract_writer_abort(&w);
    free(setup);
    if (rc)
        return rc;
    out->created = true;
    out->tables = res.tables;
    out->rows = res.rows;
    return RC_OK;
}

enum rc demo_ensure(const char *data_dir, int scale, struct demo_result *out, struct err *err)
{
    struct demo_result res = { 0 };
    *out = (struct demo_result){ 0 };
    if (!data_dir || !*data_dir)
        return err_set(err, RC_INVALID, "no data folder given for the demo data");
    if (scale < DEMO_SCALE_MIN || scale > DEMO_SCALE_MAX)
        return err_set(err, RC_INVALID, "demo scale must be %d-%d (got %d)", DEMO_SCALE_MIN,
                       DEMO_SCALE_MAX, scale);

    char *dir = xasprintf("%s/extracts/" DEMO_SOURCE_NAME, data_dir);
    char *db = xasprintf("%s/" EXTRACT_DB_FILE, dir);
    /* a second process that lost the race for the writer's lock finds the extract made */
    enum rc rc = file_exists(db) ? read_summary(db, &res, err) : generate(dir, scale, &res, err);
    if (rc == RC_OK && !res.created && !file_exists(db))
        rc = err_set(err, RC_INTERNAL, "demo extract missing after generation");
    if (!rc)
        rc = write_metric_defs(data_dir, err);
    free(db);
    free(dir);
    if (!rc)
        *out = res;
    return rc;
}
