#!/nonexistent/interpreter
echo "not reached"
