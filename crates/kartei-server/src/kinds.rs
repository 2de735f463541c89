//! The record kinds Kartei serves, one line each: the module name of its API, the
//! record type and its collection (`/api/v1/<collection>`, the OpenAPI tag). The API's
//! documented routes and the web's pages of every kind come from this one list
//! (`with_record_kinds!(callback)` hands it to a macro that builds from it), so a new
//! kind is served and documented by adding its line here.

macro_rules! with_record_kinds {
    ($callback:ident) => {
        $callback! {
            contacts: kartei_core::contact::ContactData = "contacts",
            organizations: kartei_core::organization::OrganizationData = "organizations",
            activities: kartei_core::activity::ActivityData = "activities",
            pipelines: kartei_core::deal::PipelineData = "pipelines",
            deals: kartei_core::deal::DealData = "deals",
            product_categories: kartei_core::commerce::ProductCategoryData = "product-categories",
            products: kartei_core::commerce::ProductData = "products",
            orders: kartei_core::commerce::OrderData = "orders",
            tickets: kartei_core::support::TicketData = "tickets",
            feedback: kartei_core::support::FeedbackData = "feedback",
        }
    };
}
pub(crate) use with_record_kinds;
