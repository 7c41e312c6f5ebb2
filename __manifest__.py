# Copyright 2026 Cartona Marketplace Integration contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Cartona Marketplace Integration",
    "summary": "Keep sale orders and the Cartona B2B marketplace in step",
    "version": "18.0.1.2.0",
    "category": "Sales/Sales",
    "website": "https://github.com/cartona-marketplace/cartona_marketplace",
    "author": "Cartona Marketplace Integration contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["sale_management", "sale_stock", "queue_job"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/cartona_marketplace_groups.xml",
        "security/ir.model.access.csv",
        "security/cartona_marketplace_security.xml",
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "wizards/marketplace_sync_preview_views.xml",
        "wizards/marketplace_delivery_confirm_views.xml",
        "wizards/marketplace_cancel_reason_views.xml",
        "wizards/marketplace_product_list_views.xml",
        "views/marketplace_config_views.xml",
        "views/marketplace_dashboard_views.xml",
        "views/marketplace_sync_log_views.xml",
        "views/sale_order_views.xml",
        "views/res_partner_views.xml",
        "views/marketplace_product_views.xml",
        "views/cartona_marketplace_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "cartona_marketplace/static/src/scss/marketplace_dashboard.scss",
        ],
        "web.assets_tests": [
            "cartona_marketplace/static/tests/tours/*.js",
        ],
    },
}
