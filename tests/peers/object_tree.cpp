#include "object_tree.h"

#include <set>

namespace lwm2mgw::peers {

namespace {

QByteArray link(const Lwm2mPath& path, const Attributes& attributes, int dimension = -1) {
    QByteArray out = '<' + path.toString().toUtf8() + '>';
    if (dimension >= 0) {
        out += ";dim=" + QByteArray::number(dimension);
    }
    for (const auto& [name, value] : attributes) {
        out += ';' + name.toUtf8();
        if (!value.isEmpty()) {
            out += '=' + value.toUtf8();
        }
    }
    return out;
}

Lwm2mPath pathOf(int object, int instance = -1, int resource = -1, int resourceInstance = -1) {
    Lwm2mPath path;
    path.object = object;
    path.instance = instance;
    path.resource = resource;
    path.resourceInstance = resourceInstance;
    return path;
}

}  // namespace

ObjectNode* ObjectTree::object(int id) {
    const auto it = objects_.find(id);
    return it == objects_.end() ? nullptr : &it->second;
}

InstanceNode* ObjectTree::instance(int objectId, int instanceId) {
    ObjectNode* node = object(objectId);
    if (node == nullptr) {
        return nullptr;
    }
    const auto it = node->instances.find(instanceId);
    return it == node->instances.end() ? nullptr : &it->second;
}

ResourceNode* ObjectTree::resource(const Lwm2mPath& path) {
    return const_cast<ResourceNode*>(std::as_const(*this).resource(path));
}

const ResourceNode* ObjectTree::resource(const Lwm2mPath& path) const {
    const auto object = objects_.find(path.object);
    if (object == objects_.end()) {
        return nullptr;
    }
    const auto instance = object->second.instances.find(path.instance);
    if (instance == object->second.instances.end()) {
        return nullptr;
    }
    const auto resource = instance->second.resources.find(path.resource);
    return resource == instance->second.resources.end() ? nullptr : &resource->second;
}

bool ObjectTree::exists(const Lwm2mPath& path) const {
    switch (path.depth()) {
        case 0:
            return true;
        case 1:
            return objects_.count(path.object) != 0;
        case 2:
            return objects_.count(path.object) != 0 &&
                   objects_.at(path.object).instances.count(path.instance) != 0;
        case 3:
            return resource(path) != nullptr;
        default: {
            const ResourceNode* node = resource(path);
            return node != nullptr && node->multiple &&
                   node->values.count(path.resourceInstance) != 0;
        }
    }
}

Attributes* ObjectTree::attributes(const Lwm2mPath& path) {
    switch (path.depth()) {
        case 1: {
            ObjectNode* node = object(path.object);
            return node == nullptr ? nullptr : &node->attributes;
        }
        case 2: {
            InstanceNode* node = instance(path.object, path.instance);
            return node == nullptr ? nullptr : &node->attributes;
        }
        case 3: {
            ResourceNode* node = resource(path);
            return node == nullptr ? nullptr : &node->attributes;
        }
        default:
            return nullptr;
    }
}

ObjectNode& ObjectTree::addObject(int id) {
    return objects_[id];
}

InstanceNode& ObjectTree::addInstance(int objectId, int instanceId) {
    return objects_[objectId].instances[instanceId];
}

bool ObjectTree::removeInstance(int objectId, int instanceId) {
    ObjectNode* node = object(objectId);
    return node != nullptr && node->instances.erase(instanceId) != 0;
}

std::optional<int> ObjectTree::freeInstanceId(int objectId) const {
    const auto it = objects_.find(objectId);
    if (it == objects_.end()) {
        return 0;
    }
    for (int id = 0; id < 65535; ++id) {
        if (it->second.instances.count(id) == 0) {
            return id;
        }
    }
    return std::nullopt;
}

void ObjectTree::set(const Lwm2mPath& path, ResourceType type, const QByteArray& value) {
    if (path.depth() < 3) {
        return;
    }
    ResourceNode& node = addInstance(path.object, path.instance).resources[path.resource];
    node.type = type;
    node.executable = false;
    if (path.depth() == 4) {
        node.multiple = true;
        node.values[path.resourceInstance] = value;
    } else {
        node.multiple = false;
        node.values.clear();
        node.values[0] = value;
    }
}

void ObjectTree::addExecutable(const Lwm2mPath& path) {
    if (path.depth() != 3) {
        return;
    }
    ResourceNode& node = addInstance(path.object, path.instance).resources[path.resource];
    node.executable = true;
    node.multiple = false;
    node.values.clear();
}

SenmlRecord ObjectTree::toRecord(const QString& name, ResourceType type, const QByteArray& value) {
    switch (type) {
        case ResourceType::Integer:
        case ResourceType::Float:
            return SenmlRecord::number(name, value);
        case ResourceType::Boolean:
            return SenmlRecord::boolean(name, value == "1");
        case ResourceType::Opaque:
            return SenmlRecord::data(name, value);
        case ResourceType::String:
            break;
    }
    return SenmlRecord::string(name, value);
}

ResourceType ObjectTree::typeOf(const SenmlRecord& record) {
    switch (record.kind) {
        case SenmlRecord::Kind::Number: {
            bool integral = false;
            record.text.toLongLong(&integral);
            return integral ? ResourceType::Integer : ResourceType::Float;
        }
        case SenmlRecord::Kind::Boolean:
            return ResourceType::Boolean;
        case SenmlRecord::Kind::Data:
            return ResourceType::Opaque;
        default:
            return ResourceType::String;
    }
}

QList<SenmlRecord> ObjectTree::read(const Lwm2mPath& path) const {
    QList<SenmlRecord> records;
    for (const auto& [objectId, object] : objects_) {
        for (const auto& [instanceId, instance] : object.instances) {
            for (const auto& [resourceId, resource] : instance.resources) {
                if (resource.executable) {
                    continue;
                }
                for (const auto& [valueId, value] : resource.values) {
                    const Lwm2mPath here = resource.multiple
                                               ? pathOf(objectId, instanceId, resourceId, valueId)
                                               : pathOf(objectId, instanceId, resourceId);
                    if (path.covers(here)) {
                        records.append(toRecord(here.toString(), resource.type, value));
                    }
                }
            }
        }
    }
    return records;
}

std::optional<QByteArray> ObjectTree::normalise(ResourceType type, const QByteArray& text) {
    bool ok = false;
    switch (type) {
        case ResourceType::Integer: {
            const qint64 value = text.trimmed().toLongLong(&ok);
            return ok ? std::optional(QByteArray::number(value)) : std::nullopt;
        }
        case ResourceType::Float:
            text.trimmed().toDouble(&ok);
            return ok ? std::optional(text.trimmed()) : std::nullopt;
        case ResourceType::Boolean: {
            const QByteArray value = text.trimmed().toLower();
            if (value == "1" || value == "true") {
                return QByteArray("1");
            }
            if (value == "0" || value == "false") {
                return QByteArray("0");
            }
            return std::nullopt;
        }
        case ResourceType::String:
        case ResourceType::Opaque:
            break;
    }
    return text;
}

ObjectTree::Status ObjectTree::writeText(const Lwm2mPath& path, const QByteArray& text) {
    ResourceNode* node = resource(path);
    if (node == nullptr || (path.depth() == 4 && !node->multiple)) {
        return Status::NotFound;
    }
    if (node->executable) {
        return Status::MethodNotAllowed;
    }
    if (node->multiple && path.depth() == 3) {
        return Status::BadRequest;  // a multi-instance resource needs SenML or TLV
    }
    const auto value = normalise(node->type, text);
    if (!value) {
        return Status::BadRequest;
    }
    node->values[path.depth() == 4 ? path.resourceInstance : 0] = *value;
    return Status::Ok;
}

ObjectTree::Status ObjectTree::checkRecord(const Lwm2mPath& target, const SenmlRecord& record,
                                           Lwm2mPath* resolved) const {
    const auto path = Lwm2mPath::parse(record.name);
    if (!path || path->depth() < 3 || !target.covers(*path) ||
        record.kind == SenmlRecord::Kind::None) {
        return Status::BadRequest;
    }
    *resolved = *path;
    if (!exists(pathOf(path->object, path->instance))) {
        return Status::NotFound;
    }
    const ResourceNode* node = resource(*path);
    if (node == nullptr) {
        return Status::Ok;  // optional resource not instantiated yet: Write creates it
    }
    if (node->executable) {
        return Status::MethodNotAllowed;
    }
    if (node->multiple != (path->depth() == 4)) {
        return Status::BadRequest;
    }
    return normalise(node->type, record.text) ? Status::Ok : Status::BadRequest;
}

ObjectTree::Status ObjectTree::validateRecords(const Lwm2mPath& target,
                                               const QList<SenmlRecord>& records) const {
    if (records.isEmpty()) {
        return Status::BadRequest;
    }
    for (const SenmlRecord& record : records) {
        Lwm2mPath resolved;
        if (const Status status = checkRecord(target, record, &resolved); status != Status::Ok) {
            return status;
        }
    }
    return Status::Ok;
}

ObjectTree::Status ObjectTree::writeRecords(const Lwm2mPath& target,
                                            const QList<SenmlRecord>& records, bool replace) {
    if (const Status status = validateRecords(target, records); status != Status::Ok) {
        return status;
    }
    if (replace && target.depth() == 2) {
        std::set<int> written;
        for (const SenmlRecord& record : records) {
            written.insert(Lwm2mPath::parse(record.name)->resource);
        }
        auto& resources = instance(target.object, target.instance)->resources;
        for (auto it = resources.begin(); it != resources.end();) {
            if (!it->second.executable && written.count(it->first) == 0) {
                it = resources.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (replace && target.depth() == 3) {
        if (ResourceNode* node = resource(target); node != nullptr && node->multiple) {
            node->values.clear();
        }
    }
    for (const SenmlRecord& record : records) {
        const Lwm2mPath path = *Lwm2mPath::parse(record.name);
        ResourceNode* node = resource(path);
        if (node == nullptr) {
            set(path, typeOf(record), record.text);
            continue;
        }
        node->values[path.depth() == 4 ? path.resourceInstance : 0] =
            *normalise(node->type, record.text);
    }
    return Status::Ok;
}

QByteArray ObjectTree::registrationLinks(bool withRootLink) const {
    QList<QByteArray> links;
    if (withRootLink) {
        links.append(QByteArrayLiteral("</>;rt=\"oma.lwm2m\";ct=110"));
    }
    for (const auto& [objectId, object] : objects_) {
        if (objectId == 0) {
            continue;  // the Security object is never reported (Core 6.2.1)
        }
        if (object.instances.empty()) {
            links.append('<' + pathOf(objectId).toString().toUtf8() + '>');
        }
        for (const auto& entry : object.instances) {
            links.append('<' + pathOf(objectId, entry.first).toString().toUtf8() + '>');
        }
    }
    return links.join(',');
}

QByteArray ObjectTree::discover(const Lwm2mPath& path) const {
    QList<QByteArray> links;
    const auto object = objects_.find(path.object);
    if (object == objects_.end()) {
        return {};
    }
    if (path.depth() == 1) {
        links.append(link(pathOf(path.object), object->second.attributes));
    }
    for (const auto& [instanceId, instance] : object->second.instances) {
        if (path.depth() >= 2 && instanceId != path.instance) {
            continue;
        }
        if (path.depth() <= 2) {
            links.append(link(pathOf(path.object, instanceId), instance.attributes));
        }
        for (const auto& [resourceId, resource] : instance.resources) {
            if (path.depth() == 3 && resourceId != path.resource) {
                continue;
            }
            const int dimension = resource.multiple ? static_cast<int>(resource.values.size()) : -1;
            links.append(
                link(pathOf(path.object, instanceId, resourceId), resource.attributes, dimension));
        }
    }
    return links.join(',');
}

}  // namespace lwm2mgw::peers
