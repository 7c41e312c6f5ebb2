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
            content: "The header says Cartona is up to date with the confirmation",
            trigger: ".o_form_statusbar .o_field_widget[name=marketplace_sync_status] .badge:contains(Up to Date)",
        },
        {
            content: "Sync Status has nothing to do (the order state is what Cartona has)",
            trigger: ".o_form_statusbar:not(:has(button[name=action_manual_sync_to_marketplace]))",
        },
        {
            content: "Open the Cartona page of the order",
            trigger: ".o_notebook .nav-link:contains(Cartona)",
            run: "click",
        },
        {
            content: "Preview Sync",
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
            content: "Enhanced Sync: the shipment is Cartona's to learn",
            trigger: "button[name=action_sync_enhanced_status]",
            run: "click",
        },
        {
            content: "The sync is queued",
            trigger: ".o_notification:contains(Status sync queued)",
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
            content: "The account's card spans the page, not a corner of it",
            trigger: ".o_cartona_dashboard .o_kanban_record:contains(Cartona Tour)",
            run() {
                const card = this.anchor.getBoundingClientRect().width;
                const page = this.anchor.closest(".o_kanban_renderer").clientWidth;
                if (card < page * 0.6) {
                    throw new Error(`the card is ${card}px wide on a ${page}px page`);
                }
            },
        },
        {
            content: "Counts read as people write them: 1 error, not 1 errors",
            trigger: ".o_kanban_record:contains(error in 24 h):not(:contains(errors in 24 h))",
        },
        {
            content: "Open the orders that need attention",
            trigger: ".o_kanban_record button:contains(Need Attention)",
            run: "click",
        },
        {
            content: "The list of orders in error opens",
            trigger: ".o_list_view .o_data_cell:contains(TOUR0003)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_wrong_otp", {
    steps: () => [
        {
            content: "Confirm Delivery of a shipped installment order",
            trigger: ".o_form_statusbar button[name=action_confirm_marketplace_delivery]",
            run: "click",
        },
        {
            content: "Type a wrong code",
            trigger: ".modal .o_field_widget[name=retailer_otp] input",
            run: "edit 000000",
        },
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The dialog stays open and says what to do",
            trigger: ".modal .o_field_widget[name=refusal]:contains(Ask the retailer for the code)",
        },
        {
            content: "Type the code the retailer received",
            trigger: ".modal .o_field_widget[name=retailer_otp] input",
            run: "edit 482913",
        },
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Cartona confirmed the delivery",
            trigger: ".o_notification:contains(Cartona confirmed the delivery)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_cancel_delivered", {
    steps: () => [
        {
            content: "Cancel an order Cartona has as delivered",
            trigger: ".o_form_statusbar button[name=action_cancel]",
            run: "click",
        },
        {
            content: "What Cartona allows is said before anything happens",
            trigger: ".modal .o_field_widget[name=cartona_warning]:contains(takes no change after delivery)",
        },
        {
            content: "No reason to give Cartona: it is not told",
            trigger: ".modal:not(:has(.o_field_widget[name=cancellation_reason]))",
        },
        {
            trigger: ".modal-footer button[name=action_cancel_orders]",
            run: "click",
        },
        {
            content: "The order is cancelled in Odoo, and not in error",
            trigger: ".o_form_view:not(:has(.alert-danger)) .o_statusbar_status .o_arrow_button_current:contains(Cancelled)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_arabic_error", {
    steps: () => [
        {
            content: "The header says the order needs attention, in Arabic",
            trigger: ".o_form_statusbar .o_field_widget[name=marketplace_sync_status] .badge:contains(يحتاج إلى متابعة)",
        },
        {
            content: "The error reads in Arabic, with Cartona's own words",
            trigger: ".alert-danger .o_field_widget[name=marketplace_error_message]:contains(رفضت كارتونا)",
        },
        {
            trigger: ".alert-danger .o_field_widget[name=marketplace_error_message]:contains(order is locked)",
        },
    ],
});
