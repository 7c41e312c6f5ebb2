/** @odoo-module **/
/* Browser tours of cartona_marketplace, driven by tests/test_ui.py. */

import {registry} from "@web/core/registry";

const ORDER_ID = "TOUR0001";

registry.category("web_tour.tours").add("cartona_marketplace_salesperson", {
    url: "/odoo/action-cartona_marketplace.sale_order_action_marketplace",
    steps: () => [
        {
            content: "The marketplace list shows the External Order ID column",
            trigger: `.o_list_view .o_data_cell:contains(${ORDER_ID})`,
            run: "click",
        },
        {
            content: "Open the Cartona page of the order",
            trigger: ".o_notebook .nav-link:contains(Cartona)",
            run: "click",
        },
        {
            content: "The sync status badge says Synced",
            trigger: ".o_field_widget[name=marketplace_sync_status] .badge:contains(Synced)",
        },
        {
            content: "Sync Status",
            trigger: "button[name=action_manual_sync_to_marketplace]",
            run: "click",
        },
        {
            content: "The order state alone is what Cartona has: nothing is queued",
            trigger: ".o_notification:contains(Nothing to send)",
        },
        {
            content: "Enhanced Sync",
            trigger: "button[name=action_sync_enhanced_status]",
            run: "click",
        },
        {
            content: "The shipment is Cartona's to learn: the sync is queued",
            trigger: ".o_notification:contains(Status sync queued)",
        },
        {
            content: "Test Sync",
            trigger: "button[name=action_test_status_sync]",
            run: "click",
        },
        {
            content: "The preview shows the decision and the JSON body",
            trigger: ".modal .o_field_widget[name=decision]:contains(Would Send)",
        },
        {
            trigger: ".modal .o_field_widget[name=request_body]:contains(assigned_to_salesman)",
        },
        {
            content: "Close the preview",
            trigger: ".modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Open the order's sync logs",
            trigger: "button[name=action_view_marketplace_sync_logs]",
            run: "click",
        },
        {
            content: "The log of the accepted status is listed",
            trigger: ".o_list_view .o_data_cell:contains(Success)",
        },
        {
            content: "Back to the marketplace orders",
            trigger: ".o_breadcrumb .breadcrumb-item:first a",
            run: "click",
        },
        {
            content: "The marketplace orders are listed again",
            trigger: ".o_breadcrumb .active:contains(Marketplace Orders)",
        },
        {
            trigger: ".o_list_view .o_data_cell:contains(TOUR0003)",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter on orders delivered by Cartona",
            trigger: ".o_filter_menu .o_menu_item:contains(Delivered by Cartona)",
            run: "click",
        },
        {
            content: "Only the Cartona-delivered order is left",
            trigger: ".o_list_view:not(:has(.o_data_cell:contains(TOUR0001))) .o_data_cell:contains(TOUR0002)",
        },
        {
            content: "Filter on sync errors instead",
            trigger: ".o_filter_menu .o_menu_item:contains(Delivered by Cartona)",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o_menu_item:contains(Sync Errors)",
            run: "click",
        },
        {
            content: "Only the order in error is left",
            trigger: ".o_list_view:not(:has(.o_data_cell:contains(TOUR0001))) .o_data_cell:contains(TOUR0003)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_manager_dashboard", {
    url: "/odoo/action-cartona_marketplace.marketplace_dashboard_action",
    steps: () => [
        {
            content: "The overview shows one card per Cartona account",
            trigger: ".o_kanban_record:contains(Cartona Tour)",
        },
        {
            content: "Open the orders in error",
            trigger: ".o_kanban_record button:contains(Orders in Error)",
            run: "click",
        },
        {
            content: "The list of orders in error opens",
            trigger: ".o_list_view .o_data_cell:contains(TOUR0003)",
        },
    ],
});
