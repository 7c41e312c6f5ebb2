from . import marketplace_config
from . import marketplace_dashboard
from . import marketplace_sync_log
from . import marketplace_api
from . import sale_order
from . import stock_picking
