# expect: module-attribute
import logging

logger = logging.getLogger(__name__)
secret = logging.os.getenv("AWS_SECRET_ACCESS_KEY")
logger.info("loaded")
