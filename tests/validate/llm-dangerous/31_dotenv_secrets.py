# expect: import-not-allowed
from dotenv import load_dotenv

load_dotenv()
